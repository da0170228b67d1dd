"""Signatures of submitted reports: a SHA-256 digest of the report's content, signed with the
installation's Ed25519 key, so that a figure changed after submission is detected.

The key is the PEM in IOC_SIGNING_KEY, else `<data_dir>/signing_key`, made once (mode 0600)
with its public key beside it (`signing_key.pub`). Several processes starting at once end
with one key: each writes a complete candidate to a private temporary file and hard-links
it to the final name, which only the first link succeeds in; the others read the winner.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ioc_app.config import Settings
from ioc_app.errors import ConfigError
from ioc_app.opdb.models import Submission

KEY_ENV = "IOC_SIGNING_KEY"
KEY_FILE = "signing_key"


def content_digest(submission: Submission) -> str:
    """Hex SHA-256 of the canonical JSON of the report: unit, regime, period, form version,
    submission version and every value (indicator, category, area, value), sorted."""
    values = sorted(
        [value.indicator_code, value.category_code, value.area_key, None if value.value is None else float(value.value)]
        for value in submission.values
    )
    body = {
        "unit": submission.unit.code,
        "regime": submission.regime_code,
        "period": submission.period_code,
        "form_version": submission.form_version_id,
        "version": submission.version,
        "values": values,
    }
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _load(pem: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"signing key in {where} is not a usable unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"signing key in {where} is not an Ed25519 key (make one with `openssl genpkey -algorithm ed25519`)")
    return key


def _write_new(folder: Path, prefix: str, content: bytes, mode: int) -> Path:
    """A complete, synced temporary file in `folder` with `mode`; the caller links or renames it."""
    handle, name = tempfile.mkstemp(prefix=prefix, dir=folder)
    try:
        os.fchmod(handle, mode)
        os.write(handle, content)
        os.fsync(handle)
    finally:
        os.close(handle)
    return Path(name)


def _key_file(path: Path) -> Ed25519PrivateKey:
    """The key at `path`, created atomically once when missing, with its public key beside it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            candidate = _write_new(path.parent, f".{path.name}.", _private_pem(Ed25519PrivateKey.generate()), 0o600)
            try:
                os.link(candidate, path)
            except FileExistsError:
                pass
            finally:
                candidate.unlink()
        key = _load(path.read_bytes(), str(path))
        public = path.with_name(path.name + ".pub")
        pem = _public_pem(key.public_key())
        if not public.is_file() or public.read_bytes() != pem:
            os.replace(_write_new(path.parent, f".{public.name}.", pem, 0o644), public)
    except OSError as exc:
        raise ConfigError(f"signing key {path}: {exc.strerror or exc} (make data_dir writable or set {KEY_ENV})") from None
    return key


class Signer:
    """Signs digests with the installation's private key and verifies them with its public key."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key = key.public_key()

    @classmethod
    def for_settings(cls, settings: Settings) -> Signer:
        # One-line form for environment files: the PEM's line breaks written as \n.
        pem = os.environ.get(KEY_ENV, "").strip().replace("\\n", "\n")
        if pem:
            return cls(_load(pem.encode("utf-8"), KEY_ENV))
        return cls(_key_file(Path(settings.data_dir) / KEY_FILE))

    @property
    def public_pem(self) -> str:
        return _public_pem(self.public_key).decode("ascii")

    @property
    def key_id(self) -> str:
        """Hex SHA-256 of the raw 32-byte public key: names the key that signed something."""
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()

    def sign(self, digest: str) -> str:
        return self.sign_bytes(digest.encode("utf-8"))

    def sign_bytes(self, data: bytes) -> str:
        """Base64 of the detached Ed25519 signature of exactly `data`."""
        return base64.b64encode(self._key.sign(data)).decode("ascii")

    def verify(self, digest: str, signature: str) -> bool:
        try:
            self.public_key.verify(base64.b64decode(signature, validate=True), digest.encode("utf-8"))
        except (InvalidSignature, binascii.Error, ValueError, TypeError):
            return False
        return True
