"""The key that signs session cookies."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


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
