"""Privacy rule 5: no names, DOBs or ids in logs, exceptions or Dagster metadata.

A whole nightly run, including a quarantined delivery, is scanned: every Dagster event (messages,
metadata, check results, step failures) and every log record our code emits must be free of the
person values in the deliveries.
"""

from __future__ import annotations

import logging
import re

import dagster as dg
import pandas as pd

from integrations.config import load_sources
from sync.pipeline import delivery_files
from tests.helpers import configure, sync_once


def _person_values(generated) -> set[str]:
    """Names, DOBs and ids that would identify a youth if they leaked."""
    clients = pd.read_csv(generated.out_dir / "canonical" / "clients.csv", dtype=str)
    records = pd.read_csv(generated.out_dir / "canonical" / "records.csv", dtype=str)
    values: set[str] = set()
    for frame in (clients, records):
        for col in ("first_name", "last_name", "dob", "address"):
            values.update(v for v in frame[col].dropna() if len(v) >= 4)
    values.update(generated.truth_persons["record_id"].dropna().astype(str))
    values.update(generated.truth_persons["client_id"].dropna().astype(str))
    values.discard("1900-01-01")  # the placeholder DOB identifies no one; its rule's text names it
    return {v for v in values if len(v) >= 4 and not v.isdigit() or len(v) >= 6}


def _leaks(text: str, values: set[str]) -> list[str]:
    lowered = text.lower()
    return [
        v
        for v in values
        if v.lower() in lowered and re.search(rf"(?<![\w-]){re.escape(v.lower())}(?![\w-])", lowered)
    ]


def test_a_run_with_a_quarantined_file_leaks_no_person_value(
    monkeypatch, sqlite_url, landing_copy, tmp_path, generated, caplog
):
    from synthetic import broken

    configure(monkeypatch, sqlite_url, landing_copy, tmp_path / "var")
    sources = load_sources()
    # a delivery that fails on data, not on layout: its rule results are the riskiest output
    police = delivery_files(sources["oakland_pd"], landing_copy)[-1]
    original = tmp_path / police.name
    police.rename(original)
    broken.csv_bad_dates(original, tmp_path / "bad_dates.csv", column="DOB")
    broken.csv_duplicate_ids(tmp_path / "bad_dates.csv", police)
    values = _person_values(generated)
    assert _leaks(police.read_text(encoding="utf-8"), values), "the scan must see values in a delivery"
    instance = dg.DagsterInstance.ephemeral()
    with caplog.at_level(logging.DEBUG):
        run = sync_once(instance)
    assert run.success  # the damaged police file was quarantined: an outcome, not a failed run

    texts: list[str] = [r.getMessage() for r in caplog.records]
    for record in instance.all_logs(run.run_id):
        texts.append(record.message or "")
        event = record.dagster_event
        if event is None:
            continue
        texts.append(repr(event.event_specific_data))
    # the alerts the run wrote for the agency contacts (embedded default: .eml files in the outbox)
    outbox = sorted((tmp_path / "var" / "outbox").glob("*.eml"))
    assert outbox
    texts += [p.read_text(encoding="utf-8") for p in outbox]
    blob = "\n".join(texts)
    assert "quarantined" in blob or "did not pass" in blob
    leaks = _leaks(blob, values)
    assert leaks == []


def test_a_database_error_names_the_statement_never_its_values(warehouse_url: str) -> None:
    """SQLAlchemy puts bound parameters into an error's text by default, and PostgreSQL quotes key
    values in its DETAIL; that text reaches logs, Dagster's event log and the review app's error log,
    so the warehouse engine keeps both out."""
    import pytest
    import sqlalchemy as sa

    from warehouse import Warehouse

    wh = Warehouse(warehouse_url)
    try:
        wh.migrate()
        with pytest.raises(sa.exc.IntegrityError) as caught, wh.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO match_links (source, record_id, client_id, decision, decided_by,"
                    " delivery_id, updated_at)"
                    " VALUES ('oakland_pd', :r, :c, 'match', 'model', 999, '2026-11-22')"
                ),
                {"r": "Destiny Okafor 2009-03-04", "c": "Okafor, Destiny"},
            )
        text = str(caught.value)
        assert "INSERT INTO match_links" in text  # the statement is still named
        if wh.engine.dialect.name == "postgresql":
            assert "constraint fk_match_links_client_id_clients" in text  # and the schema object
        assert "Okafor" not in text and "2009-03-04" not in text
    finally:
        wh.dispose()
