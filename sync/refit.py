"""The weekly refit of the matcher from the coordinators' decisions (issue 17 part 5).

Plain Python; the Dagster asset ``matcher/refit`` (assets/refit.py) only calls :func:`refit_matcher`.

1. Records: the latest loaded delivery of every agency source, read again from its file (rows that
   matched no client are not kept in the warehouse, and m/u need them: u is estimated from random
   pairs of the whole extract). Record ids are prefixed with their source so they stay distinct.
2. Labels: ``matchers.labels.warehouse_labels``: effective decisions only (undone ones left out).
3. Fit: ``matchers.train.train`` (m/u on those records, refined by the labels) -> a candidate.
4. Compare the matcher in force and the candidate on the same records, each source linked on its
   own as the nightly sync links it: the queue (rows with a ``review`` pair no person answered and
   no ``match``) and precision on the rows people decided (an auto-match of a row
   a person linked to that client is right; to another client, or ruled out for it, wrong).
5. Save the candidate as a new parameters version and make it current (matchers/params.py, as
   ``safetynet train-matcher`` does), unless its precision on decided rows is lower than the current
   matcher's, or it is no more precise there and its queue is larger (:func:`publishable`): then
   nothing is published and the version in force stays.

Returns counts and rates only (no client data): the asset's metadata.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from integrations.config import SourceConfig
from integrations.errors import ExtractError
from integrations.readers import read_extract
from matchers import params
from matchers.config import MatchingConfig, load
from matchers.engine import FellegiSunterMatcher
from matchers.labels import warehouse_labels
from matchers.train import train
from sync import memory
from sync.landing import LandingZone, as_zone
from warehouse import Warehouse
from warehouse.decisions import decision_state, effective_decisions
from warehouse.models import Delivery

log = logging.getLogger(__name__)


def latest_records(
    warehouse: Warehouse, sources: Mapping[str, SourceConfig], landing: LandingZone | Path
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The person rows of each agency source's latest loaded delivery still on disk (ids
    ``<source>:<record id>``), and rows read per source. A loaded delivery's file is in the archive
    (``sync/landing.py``), or still in the landing zone when the run that loaded it was killed
    before it settled; past the archive's retention it is gone and its source is left out."""
    import sqlalchemy as sa

    zone = as_zone(landing)
    d = Delivery.__table__
    frames, counts = [], {}
    with warehouse.engine.connect() as conn:
        for name, src in sources.items():
            if src.kind == "safetynet_clients":
                continue
            row = conn.execute(
                sa.select(d.c.id)
                .where(d.c.source == name, d.c.status == "loaded")
                .order_by(d.c.delivered_on.desc(), d.c.id.desc())
                .limit(1)
            ).first()
            path = _delivery_copy(src, zone, warehouse, row.id) if row else None
            if path is None:
                continue
            try:
                persons = read_extract(path, src).persons()
            except ExtractError:
                continue
            persons = persons[persons["record_id"].notna()].copy()
            persons["record_id"] = name + ":" + persons["record_id"].astype(str)
            frames.append(persons)
            counts[name] = len(persons)
    records = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["record_id"])
    return records, counts


def _delivery_copy(source: SourceConfig, zone: LandingZone, warehouse: Warehouse, delivery_id: int):
    """The file of a loaded delivery, wherever it still is (None: deleted after its retention)."""
    from sync.pipeline import DeliveryFileMissing, delivery_file

    try:
        return delivery_file(source, zone, warehouse.delivery(delivery_id))
    except DeliveryFileMissing:
        return None


def decided(warehouse: Warehouse, sources: Mapping[str, SourceConfig]) -> tuple[dict[str, str], set]:
    """Standing decisions, ids prefixed as in :func:`latest_records`: record -> the client a person
    linked it to, and the (record, client) pairs a person ruled out."""
    linked: dict[str, str] = {}
    excluded: set[tuple[str, str]] = set()
    with warehouse.engine.connect() as conn:
        for name in sources:
            got, out, _ = decision_state(effective_decisions(conn, name))
            linked.update({f"{name}:{r}": c for r, c in got.items()})
            excluded.update((f"{name}:{r}", c) for r, c in out)
    return linked, excluded


def publishable(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether the candidate (``after``, :func:`compare` of its output) replaces the matcher in force
    (``before``): not when it is less precise on the rows people decided, and, unless it is more
    precise there, not when it puts more rows in the queue. A refit the coordinator would only see
    as more questions (after the onboarding's decisions, one asked 13 more about twins and
    siblings at 1,200 clients in review_workload, every one "none of these") is no improvement."""
    b, a = before["precision_on_decided"], after["precision_on_decided"]
    if b is not None and a is not None and a != b:
        return a > b
    return after["queue"] <= before["queue"]


def link_per_source(
    matcher: FellegiSunterMatcher, clients: pd.DataFrame, records: pd.DataFrame
) -> pd.DataFrame:
    """The matcher's links for each source's records on their own, as the nightly sync links each
    delivery (a run estimates its match rate, presence and run threshold from its own rows: all
    sources pooled in one run would be another matcher than the one the coordinator meets)."""
    source = records["record_id"].astype(str).str.split(":", n=1).str[0]
    parts = [matcher.link(clients, rows) for _, rows in records.groupby(source, sort=True)]
    return pd.concat(parts, ignore_index=True) if parts else matcher.link(clients, records)


def compare(links: pd.DataFrame, linked: dict[str, str], excluded: set) -> dict[str, Any]:
    """Queue size and precision on decided rows of one matcher's output. The queue counts the rows
    the coordinator would be asked about: a review pair a person already answered (the row linked
    by a person, or the pair ruled out) is not asked again."""
    matches = links[links["decision"] == "match"]
    review = links[links["decision"] == "review"]
    pairs = zip(review["record_id"], review["client_id"], strict=True)
    answered = [r in linked or (r, c) in excluded for r, c in pairs]
    review = review[~pd.Series(answered, index=review.index, dtype=bool)]
    queue = int(review.loc[~review["record_id"].isin(set(matches["record_id"])), "record_id"].nunique())
    right = wrong = 0
    for record, client in zip(matches["record_id"], matches["client_id"], strict=True):
        if linked.get(record) == client:
            right += 1
        elif record in linked or (record, client) in excluded:
            wrong += 1
    precision = right / (right + wrong) if right + wrong else None
    return {
        "queue": queue,
        "matches": int(matches["record_id"].nunique()),
        "decided_matches": right + wrong,
        "precision_on_decided": None if precision is None else round(precision, 4),
    }


def refit_matcher(
    warehouse: Warehouse,
    sources: Mapping[str, SourceConfig],
    landing: LandingZone | Path,
    config: MatchingConfig | None = None,
    directory: Path | None = None,
) -> dict[str, Any]:
    """Refit, compare and (unless it is worse on decided rows) publish; see the module doc."""
    config = config or load()
    records, per_source = latest_records(warehouse, sources, landing)
    out: dict[str, Any] = {"records": len(records), "records_by_source": per_source, "published": False}
    if len(records) < config.estimate_min_rows:
        out["skipped"] = f"fewer than {config.estimate_min_rows} records in the latest deliveries"
        return out
    clients = memory.clients_for_matching(warehouse)
    labels = warehouse_labels(warehouse.engine)
    fitted, trained_on = train(config, clients, records, labels)
    linked, excluded = decided(warehouse, sources)
    current_doc = params.load_current(directory)
    # the matcher in force: the published parameters, else m/u estimated on these records
    current = FellegiSunterMatcher(config, current_doc)
    candidate = FellegiSunterMatcher(config, {"version": "candidate", "fields": params.to_dict(fitted)})
    before = compare(link_per_source(current, clients, records), linked, excluded)
    after = compare(link_per_source(candidate, clients, records), linked, excluded)
    version = None
    if publishable(before, after):
        trained_on["note"] = "weekly refit from effective review decisions"
        version = params.save(fitted, trained_on, directory)["version"]
    log.info("matcher refit: %s", f"version {version} published" if version else "candidate not published")
    out.update(
        {
            "version": version,
            "previous_version": current_doc["version"] if current_doc else None,
            "published": version is not None,
            "clients": trained_on["clients"],
            "labels_same_person": trained_on["labels_same_person"],
            "labels_not_this_person": trained_on["labels_not_this_person"],
            "queue_before": before["queue"],
            "queue_after": after["queue"],
            "matches_before": before["matches"],
            "matches_after": after["matches"],
            "precision_on_decided_before": before["precision_on_decided"],
            "precision_on_decided_after": after["precision_on_decided"],
            "decided_matches_before": before["decided_matches"],
            "decided_matches_after": after["decided_matches"],
        }
    )
    return out
