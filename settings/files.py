"""Files and folders the service creates are its own: 0600 and 0700, never world-readable.

Two layers. ``restrict_umask()`` is called once at process start by every entry point (the
``safetynet`` command, the Dagster code location, ``safetynet review``), so whatever a library
writes (SQLite's WAL, openpyxl, matplotlib, Dagster's own storage) is created private. Where this
project creates a file or folder itself it also sets the mode explicitly (``private_dir``,
``write_private``), so a library function called from a test or another program is private too.
"""

from __future__ import annotations

import os
from pathlib import Path

#: files 0600, folders 0700
PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700


def restrict_umask() -> int:
    """Make every file this process creates private from now on; the previous umask."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: Path | str) -> Path:
    """``path`` and any missing parents created 0700; an existing ``path`` made 0700 too."""
    folder = Path(path)
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    for created in (*missing, folder):
        if created.is_dir() and created.stat().st_uid == os.getuid():
            os.chmod(created, DIR_MODE)
    return folder


def create_private_file(path: Path | str) -> Path:
    """An empty file at ``path`` created 0600 if it does not exist (an existing one is made 0600)."""
    file = Path(path)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    os.chmod(file, FILE_MODE)
    return file


def write_private(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` 0600, atomically: a reader never sees half a file."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(tmp, FILE_MODE)  # an old tmp left by a crash keeps its mode under O_CREAT
    tmp.replace(target)
    return target
