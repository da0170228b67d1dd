"""The manifest of a backup: what it holds, with every file's sha256, sealed and signed.

`manifest.json` lists the stores' states (alembic revision, audit chain head, DuckLake
snapshot, per-table row counts and checksums) and every file with its size and sha256.
`manifest.seal.json` holds the manifest's own sha256 and an Ed25519 signature of it with
the installation's key (ioc_app/writeback/signing.py), with the public key: damage is
found by the hash, a manifest rewritten by someone without the key by the signature.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ioc_app.backup.files import FILE_MODE, BackupError, sha256_file
from ioc_app.writeback.signing import Signer

FORMAT = "ioc-backup/1"
MANIFEST, SEAL = "manifest.json", "manifest.seal.json"


def _listed_files(folder: Path) -> dict[str, dict]:
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in (MANIFEST, SEAL):
            files[path.relative_to(folder).as_posix()] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
    return files


def _write(path: Path, content: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    partial.chmod(FILE_MODE)
    partial.replace(path)


def seal(folder: Path, body: dict, signer: Signer) -> dict:
    """Write manifest.json (body + every file of `folder`) and its seal; returns the manifest."""
    manifest = {"format": FORMAT, **body, "files": _listed_files(folder)}
    content = json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8") + b"\n"
    _write(folder / MANIFEST, content)
    digest = hashlib.sha256(content).hexdigest()
    _write(folder / SEAL, json.dumps({"manifest_sha256": digest, "signature": signer.sign(digest),
                                      "public_key": signer.public_pem}, indent=1).encode("utf-8") + b"\n")
    return manifest


@dataclass(frozen=True)
class CheckedBackup:
    folder: Path
    manifest: dict
    # Signed with this installation's key (False: another installation's, e.g. restoring on a new server).
    own_key: bool

    @property
    def opdb(self) -> dict:
        return self.manifest["opdb"]

    @property
    def lake(self) -> dict:
        return self.manifest["lake"]


def _signature_ok(seal_body: dict, digest: str) -> bool:
    try:
        key = serialization.load_pem_public_key(seal_body["public_key"].encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            return False
        key.verify(base64.b64decode(seal_body["signature"], validate=True), digest.encode("utf-8"))
    except (InvalidSignature, binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        return False
    return True


def check(folder: Path, signer: Signer) -> CheckedBackup:
    """The manifest of the backup in `folder` once its seal, signature and every file check out;
    otherwise BackupError naming the first file that is missing or damaged."""
    if not folder.is_dir():
        raise BackupError(f"{folder}: no such backup folder")
    manifest_path, seal_path = folder / MANIFEST, folder / SEAL
    for path in (manifest_path, seal_path):
        if not path.is_file():
            raise BackupError(f"{path}: missing, not a complete backup")
    content = manifest_path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    try:
        seal_body = json.loads(seal_path.read_text(encoding="utf-8"))
        manifest = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{folder}: manifest or seal is not valid JSON ({exc})") from None
    if not isinstance(seal_body, dict) or seal_body.get("manifest_sha256") != digest:
        raise BackupError(f"{manifest_path}: damaged (its sha256 differs from the one in {SEAL})")
    if not _signature_ok(seal_body, digest):
        raise BackupError(f"{seal_path}: the manifest's signature does not verify (seal damaged or forged)")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path}: format {manifest.get('format')!r}, this version reads {FORMAT!r}")
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise BackupError(f"{path}: missing from the backup (partial copy?)")
        if path.stat().st_size != expected["bytes"] or sha256_file(path) != expected["sha256"]:
            raise BackupError(f"{path}: damaged (its sha256 differs from the manifest)")
    return CheckedBackup(folder, manifest, seal_body.get("public_key") == signer.public_pem)
