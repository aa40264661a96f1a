"""Files the store writes are private to the user running Khazar (mode 0600): the DuckDB
file and its WAL, the audit head file, backups, restored copies and exports. They hold
password hashes, the audit trail and the whole maritime picture.

DuckDB creates its WAL (and a backup's file) itself, with the process's umask, so the
process's umask is made to withhold every right of group and others once a store is
opened (:func:`private_umask`); files that already exist are narrowed with
:func:`make_private`, and files Khazar writes itself are created 0600
(:func:`open_private`).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import IO

__all__ = ["PRIVATE_MODE", "make_private", "open_private", "private_umask"]

logger = logging.getLogger(__name__)

#: read and write for the owner, nothing for group and others
PRIVATE_MODE = 0o600
_GROUP_OTHER = stat.S_IRWXG | stat.S_IRWXO


def private_umask() -> None:
    """Withhold group's and others' rights from every file this process creates from now
    on (the process's umask gains 077; what it already withheld stays withheld)."""
    current = os.umask(0o077)
    os.umask(current | 0o077)


def make_private(path: Path) -> bool:
    """Narrow ``path`` to 0600 when group or others have rights on it and this process
    owns it; returns whether it was changed. A missing file is left alone."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # missing, or a name no file can have (a NUL byte)
        return False
    if not stat.S_ISREG(st.st_mode) or not st.st_mode & _GROUP_OTHER:
        return False
    try:
        os.chmod(path, PRIVATE_MODE)
    except OSError as exc:  # not ours: say so, the file still opens
        logger.warning("%s is readable by others (mode %o) and could not be narrowed: %s",
                       path, stat.S_IMODE(st.st_mode), exc)
        return False
    logger.info("%s was readable by others (mode %o); narrowed to 0600", path,
                stat.S_IMODE(st.st_mode))
    return True


def open_private(path: Path, newline: str | None = "") -> IO[str]:
    """``path`` opened for writing text (created 0600, or truncated and narrowed to 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
        return os.fdopen(fd, "w", encoding="utf-8", newline=newline)
    except BaseException:
        os.close(fd)
        raise
