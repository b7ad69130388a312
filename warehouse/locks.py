"""One load or ingest of a source at a time, on SQLite and PostgreSQL alike.

Two kinds of lock, both released by the operating system or the server when their holder dies
(even by SIGKILL), so a crashed run never leaves a source locked:

- ``lock_source_in(conn, source)``: inside a load's transaction. PostgreSQL: a transaction-level
  advisory lock (``pg_advisory_xact_lock``), so two loads of one source queue up instead of
  interleaving their upserts. SQLite: nothing to do, a writer already holds ``BEGIN IMMEDIATE``, the
  database-wide write lock.
- ``source_lock(engine, source)``: around a whole run of one source (pick a file, check it, load
  it). PostgreSQL: a session-level advisory lock on a dedicated connection; SQLite: ``flock`` on a
  file beside the database. ``timeout=0`` refuses at once when another run holds it.
"""

from __future__ import annotations

import fcntl
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from settings.files import private_dir
from warehouse.errors import WarehouseError

#: first half of every advisory lock key of this warehouse ("SNSL": SafetyNet source lock)
LOCK_SPACE = 0x534E534C  # fits a signed int4
_memory_locks: dict[str, threading.Lock] = {}


class SourceBusyError(WarehouseError):
    """Another run holds this source: the run was refused rather than interleaved."""


def _key(source: str) -> int:
    return zlib.crc32(source.encode()) - 2**31  # signed int4, as pg_advisory_lock(int4, int4) wants


def lock_source_in(conn: sa.Connection, source: str) -> None:
    """Queue behind any other transaction loading ``source`` (PostgreSQL); no-op on SQLite."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": LOCK_SPACE, "b": _key(source)})


@contextmanager
def source_lock(engine: sa.Engine, source: str, timeout: float = 0.0) -> Iterator[None]:
    """Hold the run lock of ``source``; wait up to ``timeout`` seconds, then raise ``SourceBusyError``."""
    deadline = time.monotonic() + timeout
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            params = {"a": LOCK_SPACE, "b": _key(source)}
            while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:a, :b)"), params).scalar_one():
                conn.rollback()
                _wait_or_refuse(source, deadline)
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:a, :b)"), params)
                conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        lock = _memory_locks.setdefault(source, threading.Lock())
        if not lock.acquire(timeout=timeout) if timeout > 0 else not lock.acquire(blocking=False):
            raise SourceBusyError(f"source {source} is being loaded by another run; refused")
        try:
            yield
        finally:
            lock.release()
        return
    folder = Path(database).parent / f"{Path(database).name}.locks"
    private_dir(folder)
    with open(folder / f"{zlib.crc32(source.encode()):08x}.lock", "a+b") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                _wait_or_refuse(source, deadline)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _wait_or_refuse(source: str, deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise SourceBusyError(f"source {source} is being loaded by another run; refused")
    time.sleep(0.1)
