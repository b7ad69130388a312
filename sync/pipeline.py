"""One source's nightly path as plain functions: pick a delivery, read and check it, match and load.

Dagster assets (``assets/``) only wire these together; tests and the CLI call them directly.
What passes between the steps is a ``DeliveryOutcome``: file name, hash, counts and rule results,
never a cell of the extract, so it is safe to keep in Dagster's storage and metadata.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from expectations import reader_error_report, validate
from integrations.config import SourceConfig
from integrations.errors import ExtractError
from integrations.readers import delivery_date, read_extract
from matchers import Matcher
from sync import memory
from sync.landing import LandingZone, as_zone, delivery_files, delivery_sha256, settle
from warehouse import Warehouse
from warehouse.deliveries import DeliveryInfo
from warehouse.loads import LoadResult

log = logging.getLogger(__name__)

Status = Literal["no_delivery", "pending", "quarantined"]
SOURCE_LOCK_WAIT_SECONDS = 300.0


@dataclass(frozen=True)
class DeliveryOutcome:
    """What became of the delivery a run picked up for one source (no client data)."""

    source: str
    status: Status
    file_name: str | None = None
    path: str | None = None
    sha256: str | None = None
    delivered_on: date | None = None
    delivery_id: int | None = None
    rows_read: int = 0
    report: dict = field(default_factory=dict)

    @property
    def quarantined(self) -> bool:
        return self.status == "quarantined"


def pending_files(source: SourceConfig, landing_root: Path, warehouse: Warehouse) -> list[Path]:
    """Delivery files still to be loaded: bytes the warehouse has not seen, or recorded ``pending``
    (checked, not loaded: a run died before its load)."""
    out = []
    for p in delivery_files(source, landing_root):
        seen = warehouse.find_delivery(source.name, delivery_sha256(p))
        if seen is None or seen.status == "pending":
            out.append(p)
    return out


def ingest_next(
    source: SourceConfig,
    landing: LandingZone | Path,
    warehouse: Warehouse,
    trigger: str = "manual",
    today: date | None = None,
) -> DeliveryOutcome:
    """Read and check the oldest pending delivery of ``source`` and record the result.

    One delivery per run keeps the blocking check exact: the check speaks of this file only.
    Later files wait for the next run (the landing sensor asks for one at once). A delivery already
    recorded ``pending`` (a run died before loading it) comes first, with the verdict it was given:
    it is not checked again, and this run loads it. The warehouse's
    ``runs`` table records every attempt, ``trigger`` saying what started it (e.g. a Dagster run id).
    """
    run_id = warehouse.start_run(f"{trigger}:{source.name}")
    try:
        # one run per source at a time: a second waits, then is refused (SourceBusyError)
        with warehouse.source_lock(source.name, timeout=SOURCE_LOCK_WAIT_SECONDS):
            outcome = _ingest(source, as_zone(landing), warehouse, run_id, today)
    except BaseException as exc:
        warehouse.finish_run(run_id, "failure", {"source": source.name, "error": type(exc).__name__})
        raise
    warehouse.finish_run(
        run_id,
        outcome.status,
        {"source": source.name, "file_name": outcome.file_name, "rows_read": outcome.rows_read},
    )
    return outcome


def _ingest(
    source: SourceConfig, zone: LandingZone, warehouse: Warehouse, run_id: int, today: date | None
) -> DeliveryOutcome:
    left = warehouse.pending_deliveries(source.name)
    if left:
        return _pending_outcome(source, zone, warehouse, left[0])
    pending = pending_files(source, zone.root, warehouse)
    if not pending:
        return DeliveryOutcome(source=source.name, status="no_delivery")
    path = pending[0]
    sha = delivery_sha256(path)
    delivered_on = delivery_date(path)
    rows_read = 0
    try:
        extract = read_extract(path, source)
    except ExtractError as err:
        report = reader_error_report(source.name, path.name, err)
    else:
        rows_read = extract.rows_read
        report = validate(
            extract, source, recent_row_counts=warehouse.recent_row_counts(source.name), today=today
        )
    delivery_id = warehouse.record_validation(
        source=source.name,
        file_name=path.name,
        sha256=sha,
        delivered_on=delivered_on,
        rows_read=rows_read,
        report=report,
        run_id=run_id,
        kind=source.kind,
    )
    status: Status = "quarantined" if report.quarantined else "pending"
    log.info("source %s: delivery %s %s (%d rows)", source.name, delivery_id, status, rows_read)
    return DeliveryOutcome(
        source=source.name,
        status=status,
        file_name=path.name,
        path=str(path),
        sha256=sha,
        delivered_on=delivered_on,
        delivery_id=delivery_id,
        rows_read=rows_read,
        report=report.to_dict(),
    )


def _pending_outcome(
    source: SourceConfig, landing: LandingZone | Path, warehouse: Warehouse, delivery: DeliveryInfo
) -> DeliveryOutcome:
    path = delivery_file(source, landing, delivery)
    report = warehouse.stored_report(delivery)
    log.info("source %s: delivery %s still pending: loading it first", source.name, delivery.id)
    return DeliveryOutcome(
        source=source.name,
        status="pending",
        file_name=delivery.file_name,
        path=str(path),
        sha256=delivery.sha256,
        delivered_on=delivery.delivered_on,
        delivery_id=delivery.id,
        rows_read=delivery.rows_read,
        report=report.to_dict(),
    )


def delivery_file(source: SourceConfig, landing: LandingZone | Path, delivery: DeliveryInfo) -> Path:
    """The file holding a recorded delivery's bytes: in the landing zone (its name first, else any
    with its hash), else its archived copy (another run loaded and archived it meanwhile)."""
    zone = as_zone(landing)
    named = zone.source_folder(source) / delivery.file_name
    candidates = [named] if named.is_file() else []
    candidates += [p for p in delivery_files(source, zone.root) if p != named]
    for path in candidates:
        try:
            if delivery_sha256(path) == delivery.sha256:
                return path
        except FileNotFoundError:  # archived by another run while we looked
            continue
    kept = zone.kept_copy(source, delivery)
    if kept is not None:
        return kept
    raise DeliveryFileMissing(
        f"source {source.name}: delivery {delivery.id} ({delivery.file_name}) is pending but its file "
        "is no longer in the landing folder; put it back, the next run loads it"
    )


class DeliveryFileMissing(RuntimeError):
    """A pending delivery's file left the landing folder before it was loaded."""


class DeliveryChanged(RuntimeError):
    """A pending delivery's file is not the bytes that were checked."""


def load_pending(
    source: SourceConfig, landing: LandingZone | Path, warehouse: Warehouse, matcher: Matcher
) -> list[LoadResult]:
    """Load every pending delivery of ``source``, oldest first, each in one transaction, then settle
    the source's files (``landing.settle``: loaded ones to the archive, quarantined ones held,
    expired ones deleted).

    Whichever run gets here first loads them; a second run at the same time waits on the
    delivery's row lock inside the load and then finds it loaded (skipped): nothing twice, nothing
    lost. Nothing passes from the checks to here but the warehouse's own record. ``landing`` given
    as a folder uses the settings' archive.
    """
    zone = as_zone(landing)
    results = []
    for delivery in warehouse.pending_deliveries(source.name):
        try:
            outcome = _pending_outcome(source, zone, warehouse, delivery)
            result = link_and_load(outcome, source, warehouse, matcher)
        except (DeliveryFileMissing, FileNotFoundError, DeliveryChanged, ExtractError):
            # another run loaded and archived it between our listing and our read (the reader says
            # the file is missing): not ours to load. Still pending: a real error, raised
            if warehouse.delivery(delivery.id).status == "pending":
                raise
            continue
        if result is not None:
            results.append(result)
    settle(source, zone, warehouse)
    return results


def link_and_load(
    outcome: DeliveryOutcome, source: SourceConfig, warehouse: Warehouse, matcher: Matcher
) -> LoadResult | None:
    """Match a pending delivery to the client list and load it in one warehouse transaction.

    A quarantined delivery does get here (its Dagster check is ERROR but not blocking, so the run
    goes on and alerts go out); this guard is what keeps its rows out: nothing is loaded and the
    source keeps its last good delivery.
    """
    if outcome.status != "pending" or outcome.path is None or outcome.delivery_id is None:
        return None
    extract = read_extract(outcome.path, source)
    if extract.sha256 != outcome.sha256:
        raise DeliveryChanged(
            f"source {source.name}: delivery {outcome.delivery_id} changed on disk after its checks"
        )
    if source.kind == "safetynet_clients":
        return warehouse.load_clients(outcome.delivery_id, extract)
    # the client list carries the names decisions taught and matched rows stated among the aliases
    persons = extract.persons()
    links = matcher.link(memory.clients_for_matching(warehouse), persons)
    # decisions about a youth hold for her later rows: identities kept, the memory consulted
    identities = memory.row_identities(persons, links)
    return warehouse.load_delivery(outcome.delivery_id, extract, links, identities, memory.recall)
