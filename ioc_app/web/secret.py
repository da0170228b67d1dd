"""The key that signs session cookies, and the secrets every machine of an installation shares."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from ioc_app.config import Settings

SHARED_SECRETS = {
    "IOC_SECRET_KEY": "signs session cookies: a session opened on one machine must open on the others",
    "IOC_SIGNING_KEY": "signs submitted reports: every machine must sign and verify with the same key",
}


def shared_secret_problems(settings: Settings) -> list[str]:
    """With the operational DB on PostgreSQL (several machines, or ready for them), both secrets must
    come from the environment: the per-machine files under data/ would silently differ between machines."""
    from ioc_app.opdb.session import parse_url

    if parse_url(settings.database_url).get_backend_name() != "postgresql":
        return []
    return [f"{name} is not set: with the operational DB on PostgreSQL it must be set, the same on every "
            f"machine, because it {why} (see docs/deployment.md)"
            for name, why in SHARED_SECRETS.items() if not os.environ.get(name, "").strip()]


def secret_key(data_dir: Path) -> str:
    """IOC_SECRET_KEY from the environment; for the embedded demo, a key generated once and
    kept in data/secret_key (mode 0600) so every gunicorn worker and restart signs alike.

    The key is written to a private temporary file and hard-linked into place, so workers
    starting together all read the one key that won."""
    if os.environ.get("IOC_SECRET_KEY"):
        return os.environ["IOC_SECRET_KEY"]
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".secret_key.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()
