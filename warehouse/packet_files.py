"""The index of packet files on disk (``packet_files``): which packet file shows which youth.

``packets.build`` records every file it writes with the youth on its agenda; a seal
(``sync/sealing.py``) asks which files show the youth a sealed record was linked to and deletes
them. Paths and client ids only: the index holds nothing the packets' own audit entries do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from warehouse.db import utcnow, write_transaction
from warehouse.models import PacketFile

PACKETS = PacketFile.__table__


def record_packet_files(
    engine: sa.Engine, meeting: date, files: Iterable[Path], client_ids: Iterable[str]
) -> None:
    """``files`` of the packet of ``meeting`` show ``client_ids`` (a rewritten file is indexed anew)."""
    paths = [str(Path(f).resolve()) for f in files]
    ids = sorted(set(client_ids))
    now = utcnow()
    with write_transaction(engine) as conn:
        conn.execute(sa.delete(PACKETS).where(PACKETS.c.path.in_(paths)))
        rows = [
            {"path": p, "meeting": meeting, "client_id": c, "written_at": now} for p in paths for c in ids
        ]
        if rows:
            conn.execute(sa.insert(PACKETS), rows)


def packet_files_showing(conn: sa.Connection, client_ids: Iterable[str]) -> dict[str, date]:
    """Path -> meeting of every indexed packet file that shows one of ``client_ids``."""
    ids = sorted(set(client_ids))
    if not ids:
        return {}
    rows = conn.execute(
        sa.select(PACKETS.c.path, PACKETS.c.meeting).where(PACKETS.c.client_id.in_(ids)).distinct()
    )
    return {path: meeting for path, meeting in rows}


def forget_packet_files(conn: sa.Connection, paths: Iterable[str]) -> int:
    """Take ``paths`` out of the index (their files are gone); rows removed."""
    paths = list(paths)
    if not paths:
        return 0
    return conn.execute(sa.delete(PACKETS).where(PACKETS.c.path.in_(paths))).rowcount
