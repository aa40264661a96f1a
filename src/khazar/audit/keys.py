"""The audit head key: 32 random bytes in a file of their own, outside the store's folder.

The key signs (HMAC-SHA256) each head record of the audit chain
(:func:`khazar.audit.chain.head_mac`). It lives apart from the store so that whoever can
write the store's folder (a backup job, a shared volume, a copied store) cannot re-hash the
chain and rewrite the head to match: see docs/security.md for who may write where.

The file holds the key as 64 hex digits and one newline, mode 0600. It is created on first
use, only while nothing has been sealed with a key yet; once head records carry macs, a
missing key is an error (a new key would make every earlier record look forged).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
from pathlib import Path

from khazar.errors import AuditError

__all__ = ["key_id", "load_key"]

_KEY_BYTES = 32


def key_id(key: bytes) -> str:
    """A short public name of ``key`` (the first 12 hex digits of its SHA-256)."""
    return hashlib.sha256(key).hexdigest()[:12]


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _create(path: Path) -> bytes:
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read(path)
    except OSError as exc:
        raise AuditError(f"cannot create the audit key file {path}: {exc.strerror or exc}; "
                         f"set audit.key_file (or KHAZAR_AUDIT__KEY_FILE) to a writable "
                         f"place outside the store's folder") from exc
    try:
        os.write(fd, key.hex().encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return key


def _read(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not ASCII"
        raise AuditError(f"cannot read the audit key file {path}: {reason or exc}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AuditError(f"the audit key file {path} is open to other users (mode "
                         f"{stat.S_IMODE(mode):04o}); make it private: chmod 600 {path}")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != _KEY_BYTES:
        raise AuditError(f"the audit key file {path} does not hold a key ({_KEY_BYTES * 2} "
                         f"hex digits); restore it from its backup")
    return key


def load_key(path: Path, *, create: bool, store_folder: Path | None = None) -> bytes:
    """The key in ``path``; created (0600, its folder 0700) when missing and ``create``.

    :class:`AuditError` when the key would sit inside ``store_folder`` (the store's own
    folder: whoever writes the store could read it), when it is missing and may not be
    created, or when it is unreadable, malformed or open to other users.
    """
    if store_folder is not None and _inside(path, store_folder):
        raise AuditError(f"the audit key file {path} is inside the store's folder "
                         f"{store_folder}: keep it elsewhere (audit.key_file, or "
                         f"KHAZAR_AUDIT__KEY_FILE), e.g. ~/.config/khazar/audit.key")
    if path.exists():
        return _read(path)
    if not create:
        raise AuditError(f"the audit key file {path} is missing, but the audit head records "
                         f"were sealed with a key: restore the key from its backup, or point "
                         f"audit.key_file (KHAZAR_AUDIT__KEY_FILE) at it")
    return _create(path)
