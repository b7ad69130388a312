"""Alerts end to end: the nightly sync against a real SMTP server on loopback (aiosmtpd).

One source's file is broken, another's is late: the right contacts get the right alerts, the
warehouse keeps the broken source's last good delivery, the other sources are fresh. A refused
connection and a dropped session never fail the run; their messages go out on the next run, once.
Every message is scanned for every child's name, date of birth, address and id in the deliveries.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from alerts.ledger import messages_frame
from integrations.config import load_sources
from sync.pipeline import delivery_files
from sync.status import source_status
from tests.alert_privacy import assert_no_child_data
from tests.alert_servers import dropping_server, free_port, smtp_server
from tests.helpers import configure, sync_once, table
from warehouse import Warehouse

LATE = "alameda_so"
BROKEN = "probation"


def _point_smtp(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("SAFETYNET_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SAFETYNET_SMTP_PORT", str(port))
    monkeypatch.setenv("SAFETYNET_SMTP_TLS", "none")
    monkeypatch.setenv("SAFETYNET_SMTP_TIMEOUT", "5")


def _restamp(landing: Path, today: date) -> None:
    """Deliveries dated today, except the late source's, which is older than its cadence."""
    sources = load_sources()
    for name, source in sources.items():
        for path in delivery_files(source, landing):
            when = today - timedelta(days=source.cadence_days + 3) if name == LATE else today
            path.rename(path.with_name(path.name.replace("20261116", when.strftime("%Y%m%d"))))


def test_broken_and_late_sources_alert_the_right_contacts_once(
    monkeypatch, sqlite_url, landing_copy, tmp_path, generated
):
    from synthetic import broken

    today = date.today()
    stamp = today.strftime("%Y%m%d")
    sources = load_sources()
    configure(monkeypatch, sqlite_url, landing_copy, tmp_path / "var")
    _restamp(landing_copy, today)

    # run 1: the mail server refuses connections; everything loads, every alert stays pending
    _point_smtp(monkeypatch, free_port())
    run = sync_once()
    assert run.success, run.failed_steps
    ledger = messages_frame(Warehouse(sqlite_url).engine)
    assert len(ledger) > 0 and set(ledger["status"]) == {"pending"}
    assert set(ledger["last_error"]) == {"ConnectionRefusedError"}
    overdue = ledger[ledger["category"] == "overdue"]
    assert set(overdue["source"]) == {LATE}
    assert set(overdue["recipient"]) == set(sources[LATE].contacts)
    probation_before = table(sqlite_url, "probation_referrals")

    # run 2: a broken probation re-delivery (renamed column), made from the generated original (the
    # loaded file has moved to the archive); the server is up
    template = delivery_files(sources[BROKEN], generated.landing_dir)[-1]
    good_name = template.name.replace("20261116", stamp)  # as run 1 loaded it (restamped)
    folder = landing_copy / sources[BROKEN].landing
    bad = broken.csv_renamed_column(template, folder / f"probation_youth_{stamp}_2.csv", column="BIRTH_DT")
    with smtp_server() as (port, inbox):
        _point_smtp(monkeypatch, port)
        run = sync_once()
        assert run.success, run.failed_steps
    # the run-1 messages went out now, plus the quarantine alert
    for name, source in sources.items():
        for contact in source.contacts:
            got = inbox.to(contact)
            quarantine = [m for m in got if "QUARANTINED" in m["Subject"]]
            overdue_msgs = [m for m in got if "overdue" in m["Subject"]]
            assert len(quarantine) == (1 if name == BROKEN else 0), contact
            assert len(overdue_msgs) == (1 if name == LATE else 0), contact
    configured = {c for s in sources.values() for c in s.contacts}
    assert {r for rcpts, _ in inbox.received for r in rcpts} <= configured
    (alert,) = [m for m in inbox.to("juvenile-data@probation.acgov.example") if "QUARANTINED" in m["Subject"]]
    text = alert.get_content()
    assert bad.name in alert["Subject"] and bad.name in text
    assert "schema.missing_columns" in text and "BIRTH_DT" in text
    assert f"Delivery date:  {today.isoformat()}" in text
    assert good_name in text  # the last good delivery SafetyNet keeps using
    assert "How to fix:" in text
    # the warehouse still has probation's last good delivery; every other source is fresh
    deliveries = table(sqlite_url, "deliveries").set_index("file_name")
    assert deliveries.loc[bad.name, "status"] == "quarantined"
    cols = [c for c in probation_before.columns if c != "updated_at"]
    pd.testing.assert_frame_equal(
        probation_before[cols].sort_values("referral_id").reset_index(drop=True),
        table(sqlite_url, "probation_referrals")[cols].sort_values("referral_id").reset_index(drop=True),
    )
    status = {s["source"]: s for s in source_status(sources, Warehouse(sqlite_url), today)["sources"]}
    for name, s in status.items():
        assert s["overdue"] == (name == LATE), name
        if name != BROKEN:
            assert s["last_delivery"]["status"] == "loaded", name
    texts = inbox.texts()

    # run 3: a fixed re-delivery, but the server drops the session: the "resolved" stays pending
    fixed = folder / f"probation_youth_{stamp}_3.csv"
    shutil.copy(template, fixed)
    with open(fixed, "a", encoding="utf-8") as fh:
        fh.write("\n")
    with dropping_server() as port:
        _point_smtp(monkeypatch, port)
        run = sync_once()
        assert run.success, run.failed_steps
    ledger = messages_frame(Warehouse(sqlite_url).engine)
    resolved = ledger[ledger["kind"] == "resolved"]
    assert list(resolved["status"]) == ["pending"] * len(sources[BROKEN].contacts)
    assert set(resolved["last_error"]) == {"SMTPServerDisconnected"}

    # run 4 (nothing new landed): the resolved message goes out, exactly once, nothing is repeated
    with smtp_server() as (port, inbox2):
        _point_smtp(monkeypatch, port)
        assert sync_once().success
        assert sync_once().success
    subjects = [m["Subject"] for _, m in inbox2.received]
    resolved_subjects = [s for s in subjects if s.endswith("problem resolved")]
    assert len(resolved_subjects) == len(sources[BROKEN].contacts), subjects
    assert not any("QUARANTINED" in s or "overdue" in s for s in subjects)
    assert "probation_youth" in inbox2.to("juvenile-data@probation.acgov.example")[-1].get_content()
    ledger = messages_frame(Warehouse(sqlite_url).engine)
    assert set(ledger["status"]) == {"sent"}
    assert not ledger.duplicated(["problem_key", "kind", "recipient"]).any()

    assert_no_child_data(texts + inbox2.texts(), generated)


def test_demo_default_writes_the_outbox(monkeypatch, sqlite_url, landing_copy, tmp_path, generated):
    """Without SMTP settings the alerts are .eml files in var/outbox/ (the embedded default)."""
    from email import message_from_bytes, policy

    configure(monkeypatch, sqlite_url, landing_copy, tmp_path / "var")
    monkeypatch.delenv("SAFETYNET_SMTP_HOST", raising=False)
    _restamp(landing_copy, date.today())
    assert sync_once().success
    files = sorted((tmp_path / "var" / "outbox").glob("*.eml"))
    assert files
    messages = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert any("overdue" in m["Subject"] and m["To"] == "records@acgov-sheriff.example" for m in messages)
    assert_no_child_data([f"{m['Subject']}\n{m.get_content()}" for m in messages], generated)


def test_the_privacy_scan_catches_a_planted_child_value(generated):
    from tests.alert_privacy import child_values

    values = child_values(generated)
    name = sorted(values["names"])[0]
    ident = sorted(values["exact"])[0]
    for planted in (f"Check row 4: {name} is wrong", f"File x.csv, id {ident}"):
        with pytest.raises(AssertionError):
            assert_no_child_data([planted], generated)
