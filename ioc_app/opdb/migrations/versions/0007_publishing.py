"""publishing of indicator figures on the public dashboard

Revision ID: 0007_publishing
Revises: 0006_account_handover
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_publishing"
down_revision = "0006_account_handover"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
