"""The landing zone's lifecycle: a delivery file is kept only as long as it is needed (privacy rule 8).

Where a delivery file is, by what became of its delivery (``deliveries.status``):

- ``landing/<source>/``: new files and ``pending`` deliveries (checked, not loaded yet). Nothing
  else stays there: the landing zone is the agencies' drop folder.
- ``archive/<source>/quarantined/<id>-<file>``: a ``quarantined`` delivery, held until it is resolved
  (a later delivery of its source loaded: the alerts call that "resolved"); the operator can look
  at it there. No retention runs on it while it is unresolved.
- ``archive/<source>/<id>-<file>``: a ``loaded`` delivery (or a resolved quarantine), deleted
  ``archive_retention_days`` after it got there (the file's modification time is that moment).

``settle`` does the moves and the deletions for one source; every run calls it after loading that
source (``pipeline.load_pending``). It looks only at what is on disk and in ``deliveries``, so a run
killed half-way is finished by the next. A move is one ``rename`` (or copy, rename, unlink when
the archive is on another file system): a file is never half in both places. When it archives a
file holding rows of a sealed record (a delivery pending when the seal came), the archived copy is
written without them. The file name carries the delivery id: two deliveries with one name (a
re-sent fix) never collide. Counts only are logged.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import settings
from integrations.config import SourceConfig
from integrations.readers import delivery_date, file_sha256
from integrations.redact import drop_records
from settings.files import FILE_MODE, private_dir
from warehouse import Warehouse
from warehouse.deliveries import DeliveryInfo

log = logging.getLogger(__name__)

QUARANTINED = "quarantined"


@dataclass(frozen=True)
class LandingZone:
    """The landing zone, where its files go once their delivery is settled, and for how long."""

    root: Path
    archive: Path
    retention: timedelta

    @classmethod
    def configured(cls, root: Path | str | None = None, archive: Path | str | None = None) -> LandingZone:
        """The settings' zone (``landing_dir``, ``archive_dir``, ``archive_retention_days``); ``root``
        and ``archive`` override the folders (tests, the Dagster resource's fields)."""
        s = settings.current()
        return cls(
            root=Path(root) if root else s.landing_dir,
            archive=Path(archive) if archive else s.archive_dir,
            retention=timedelta(days=s.archive_retention_days),
        )

    def source_folder(self, source: SourceConfig) -> Path:
        return self.root / source.landing

    def archived_folder(self, source: SourceConfig) -> Path:
        return self.archive / source.landing

    def held_folder(self, source: SourceConfig) -> Path:
        return self.archive / source.landing / QUARANTINED

    def archived_path(self, source: SourceConfig, delivery: DeliveryInfo) -> Path:
        return self.archived_folder(source) / archived_name(delivery)

    def held_path(self, source: SourceConfig, delivery: DeliveryInfo) -> Path:
        return self.held_folder(source) / archived_name(delivery)

    def kept_copy(self, source: SourceConfig, delivery: DeliveryInfo) -> Path | None:
        """The archived or held file of ``delivery``, if it is still kept."""
        for path in (self.archived_path(source, delivery), self.held_path(source, delivery)):
            if path.is_file():
                return path
        return None

    def archived_files(self, source: SourceConfig) -> list[Path]:
        return _kept(self.archived_folder(source))

    def held_files(self, source: SourceConfig) -> list[Path]:
        return _kept(self.held_folder(source))


def _kept(folder: Path) -> list[Path]:
    """The kept files of an archive folder (a hidden one is a copy a killed run left half-made)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*-*") if p.is_file() and not p.name.startswith("."))


#: a half-made copy (``.<name>.part``, ``.<name>.sealing``) older than this was left by a killed run
STALE_COPY_SECONDS = 3600


def _remove_stale_copies(folder: Path, now: float) -> None:
    if not folder.is_dir():
        return
    for path in folder.glob(".*"):
        try:
            if path.is_file() and path.stat().st_mtime < now - STALE_COPY_SECONDS:
                path.unlink()
        except FileNotFoundError:
            continue


def delivery_files(source: SourceConfig, landing_root: Path) -> list[Path]:
    """Every file in the source's landing folder that matches its pattern, oldest delivery first."""
    folder = Path(landing_root) / source.landing
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob(source.pattern) if p.is_file()]
    return sorted(files, key=lambda p: (delivery_date(p), p.name))


_sha_cache: dict[tuple[str, int, int], str] = {}


def delivery_sha256(path: Path) -> str:
    """The file's SHA-256, remembered per (path, size, mtime): the sensor asks every minute."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _sha_cache:
        _sha_cache[key] = file_sha256(path)
    return _sha_cache[key]


def as_zone(landing: LandingZone | Path | str) -> LandingZone:
    """A zone for a caller that names only the landing folder: the archive is the settings'."""
    return landing if isinstance(landing, LandingZone) else LandingZone.configured(root=landing)


def archived_name(delivery: DeliveryInfo) -> str:
    return f"{delivery.id}-{delivery.file_name}"


@dataclass
class Settled:
    """What one ``settle`` did (counts only)."""

    archived: int = 0
    held: int = 0
    released: int = 0
    duplicates_removed: int = 0
    expired: int = 0
    sealed_rows_dropped: int = 0
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.archived, self.held, self.released, self.duplicates_removed, self.expired))


def settle(
    source: SourceConfig, landing: LandingZone | Path, warehouse: Warehouse, now: float | None = None
) -> Settled:
    """Move ``source``'s settled delivery files out of the landing zone and delete expired archives."""
    zone = as_zone(landing)
    now = time.time() if now is None else now
    done = Settled()
    resolved_after = _last_loaded_id(warehouse, source.name)
    for path in delivery_files(source, zone.root):
        try:
            delivery = warehouse.find_delivery(source.name, delivery_sha256(path))
        except FileNotFoundError:  # another run moved it meanwhile
            continue
        if delivery is None or delivery.status == "pending":
            continue  # still to be loaded
        if delivery.status == QUARANTINED and not _resolved(delivery, resolved_after):
            target = zone.held_path(source, delivery)
            done.held += _move(path, target, source, warehouse, done, now)
        else:
            target = zone.archived_path(source, delivery)
            done.archived += _move(path, target, source, warehouse, done, now)
    for path in zone.held_files(source):
        delivery = _delivery_of(warehouse, path)
        if delivery is None or _resolved(delivery, resolved_after):
            # resolved: its retention starts now, like a file archived today
            target = zone.archived_folder(source) / path.name
            done.released += _move(path, target, source, warehouse, done, now, redact=False)
    done.expired = expire(source, zone, now)
    for folder in (zone.archived_folder(source), zone.held_folder(source)):
        _remove_stale_copies(folder, now)
    if done:
        log.info(
            "landing %s: %d archived, %d held (quarantined), %d released, %d duplicates removed, "
            "%d expired, %d sealed rows dropped",
            source.name,
            done.archived,
            done.held,
            done.released,
            done.duplicates_removed,
            done.expired,
            done.sealed_rows_dropped,
        )
    return done


def expire(source: SourceConfig, landing: LandingZone | Path, now: float | None = None) -> int:
    """Delete ``source``'s archived files older than the retention; how many."""
    zone = as_zone(landing)
    now = time.time() if now is None else now
    cutoff = now - zone.retention.total_seconds()
    gone = 0
    for path in zone.archived_files(source):
        try:
            if path.stat().st_mtime <= cutoff:
                path.unlink()
                gone += 1
        except FileNotFoundError:
            continue
    return gone


def _last_loaded_id(warehouse: Warehouse, source: str) -> int | None:
    import sqlalchemy as sa

    from warehouse.models import Delivery

    d = Delivery.__table__
    with warehouse.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.max(d.c.id)).where(d.c.source == source, d.c.status == "loaded")
        ).scalar_one_or_none()


def _resolved(delivery: DeliveryInfo, last_loaded: int | None) -> bool:
    """A quarantine is resolved by a later delivery of its source that loaded."""
    return last_loaded is not None and last_loaded > delivery.id


def _delivery_of(warehouse: Warehouse, path: Path) -> DeliveryInfo | None:
    prefix = path.name.split("-", 1)[0]
    if not prefix.isdigit():
        return None
    try:
        return warehouse.delivery(int(prefix))
    except Exception:  # an unknown id (a file of another warehouse): treated as settled
        return None


def _move(
    path: Path,
    target: Path,
    source: SourceConfig,
    warehouse: Warehouse,
    done: Settled,
    now: float,
    redact: bool = True,
) -> int:
    """``path`` to ``target`` (1), or ``path`` removed as a duplicate of a kept copy (0)."""
    if target.exists():
        # the same bytes delivered twice, or a run killed between copy and unlink: one copy is kept
        path.unlink(missing_ok=True)
        done.duplicates_removed += 1
        return 0
    private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.part")
    dropped = _sealed_rows_dropped(path, source, warehouse, tmp) if redact else 0
    try:
        if dropped:
            done.sealed_rows_dropped += dropped
            os.replace(tmp, target)
            path.unlink(missing_ok=True)
        else:
            _rename(path, target, tmp)
    except FileNotFoundError:  # another run moved it first
        return 0
    os.chmod(target, FILE_MODE)  # the agency's file may have been readable by others
    os.utime(target, (now, now))  # the retention counts from here
    return 1


def _rename(path: Path, target: Path, tmp: Path) -> None:
    try:
        os.replace(path, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:  # the archive is on another file system: copy, then unlink
            raise
        shutil.copyfile(path, tmp)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
        path.unlink(missing_ok=True)


def _sealed_rows_dropped(path: Path, source: SourceConfig, warehouse: Warehouse, out: Path) -> int:
    """A copy of ``path`` at ``out`` without rows of records sealed since it was delivered (rows)."""
    from warehouse.sealing import record_hash, sealed_hashes

    with warehouse.engine.connect() as conn:
        hashes = sealed_hashes(conn, source.name)
    if not hashes:
        return 0
    return drop_records(path, source, lambda rid: record_hash(source.name, rid) in hashes, out)


# --- what is held: ``safetynet status`` ------------------------------------------------------------


def _summary(paths: list[Path], now: float) -> dict:
    sizes, ages = [], []
    for p in paths:
        try:
            st = p.stat()
        except FileNotFoundError:
            continue
        sizes.append(st.st_size)
        ages.append(max(0.0, now - st.st_mtime))
    return {
        "files": len(sizes),
        "bytes": int(sum(sizes)),
        "oldest_days": round(max(ages) / 86400, 1) if ages else None,
    }


def holdings(
    sources: Mapping[str, SourceConfig], landing: LandingZone | Path, now: float | None = None
) -> dict:
    """Per source, the delivery files on disk: in the landing zone, held (quarantined), archived;
    each as files, bytes and the oldest one's age in days (since it was written to the landing
    zone, or since it was archived or held). No file names, no contents."""
    zone = as_zone(landing)
    now = time.time() if now is None else now
    out = {}
    for name, source in sources.items():
        out[name] = {
            "landing": _summary(delivery_files(source, zone.root), now),
            "quarantined": _summary(zone.held_files(source), now),
            "archived": _summary(zone.archived_files(source), now),
        }
    return {
        "archive_retention_days": zone.retention.days,
        "sources": out,
    }
