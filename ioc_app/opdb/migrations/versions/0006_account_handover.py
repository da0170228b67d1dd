"""account handovers

Revision ID: 0006_account_handover
Revises: 0005_announcements
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_account_handover"
down_revision = "0005_announcements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
