"""The alert ledger on SQLite and PostgreSQL, the composed texts, and the operator's run-failure alert."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import dagster as dg
import pytest

from alerts import OutboxTransport, SmtpSettings, SmtpTransport, run_alerts
from alerts.ledger import messages_frame
from expectations import RuleResult, ValidationReport
from integrations.config import load_sources
from tests.alert_servers import free_port, smtp_server
from warehouse import Warehouse

SOURCES = load_sources()


def _report(source: str, blocking: bool) -> ValidationReport:
    return ValidationReport(
        source=source,
        file_name="x.csv",
        rows_checked=10,
        results=[
            RuleResult(
                rule_id="probation_referrals.dob.parses",
                description="Every value in column 'BIRTH_DT' can be read as a date.",
                severity="blocking" if blocking else "warning",
                success=False,
                table="probation_referrals",
                column="dob",
                unexpected_count=3,
                row_numbers=(4, 9, 12),
                how_to_fix="Write 'BIRTH_DT' as MM/DD/YYYY on the listed rows.",
            )
        ],
    )


def _deliver(wh: Warehouse, name: str, sha: str, blocking: bool, day: date) -> int:
    return wh.record_validation(
        source="probation",
        file_name=name,
        sha256=sha,
        delivered_on=day,
        rows_read=10,
        report=_report("probation", blocking),
        kind="probation",
    )


def _eml(folder: Path) -> list:
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def test_ledger_announces_once_retries_and_resolves(warehouse_url: str, tmp_path: Path) -> None:
    wh = Warehouse(warehouse_url)
    wh.migrate()
    today = date(2026, 11, 20)
    sources = {"probation": SOURCES["probation"]}
    _deliver(wh, "probation_youth_20261120.csv", "a" * 64, blocking=True, day=today)

    refused = SmtpTransport(SmtpSettings("127.0.0.1", free_port(), tls="none", timeout=3))
    first = run_alerts(wh, sources, refused, today=today)
    assert (first.queued, first.sent, first.pending) == (1, 0, 1)
    assert first.errors == {"ConnectionRefusedError": 1}
    again = run_alerts(wh, sources, refused, today=today)  # the same problem is not queued twice
    assert again.queued == 0 and again.pending == 1

    outbox = tmp_path / "outbox"
    sent = run_alerts(wh, sources, OutboxTransport(outbox), today=today)
    assert (sent.queued, sent.sent, sent.pending) == (0, 1, 0)
    (msg,) = _eml(outbox)
    body = msg.get_content()
    assert "QUARANTINED" in msg["Subject"] and msg["To"] == "juvenile-data@probation.acgov.example"
    assert "probation_referrals.dob.parses - 3 rows" in body and "Rows:       4, 9, 12" in body
    assert "How to fix: Write 'BIRTH_DT' as MM/DD/YYYY" in body
    ledger = messages_frame(wh.engine)
    assert ledger.loc[0, "attempts"] == 3 and ledger.loc[0, "status"] == "sent"

    # a fixed re-delivery closes the problem with one short message; a warning-only file is news once
    _deliver(wh, "probation_youth_20261121.csv", "b" * 64, blocking=False, day=today)
    fixed = run_alerts(wh, sources, OutboxTransport(outbox), today=today)
    assert fixed.sent == 2
    subjects = sorted(m["Subject"] for m in _eml(outbox))
    assert any(s.endswith("probation problem resolved") for s in subjects)
    assert any("loaded with 1 warning" in s for s in subjects)
    assert run_alerts(wh, sources, OutboxTransport(outbox), today=today).sent == 0
    wh.dispose()


def test_overdue_opens_once_per_missed_delivery_and_resolves_on_arrival(
    sqlite_url: str, tmp_path: Path
) -> None:
    wh = Warehouse(sqlite_url)
    wh.migrate()
    sources = {"probation": SOURCES["probation"]}
    outbox = OutboxTransport(tmp_path / "outbox")
    never = run_alerts(wh, sources, outbox, today=date(2026, 11, 20))
    assert never.sent == 1  # nothing ever delivered: overdue
    assert run_alerts(wh, sources, outbox, today=date(2026, 11, 21)).sent == 0
    wh.record_validation(
        source="probation",
        file_name="probation_youth_20261121.csv",
        sha256="c" * 64,
        delivered_on=date(2026, 11, 21),
        rows_read=10,
        report=ValidationReport(source="probation", file_name="probation_youth_20261121.csv"),
    )
    arrived = run_alerts(wh, sources, outbox, today=date(2026, 11, 22))
    assert arrived.sent == 1
    late_again = run_alerts(wh, sources, outbox, today=date(2026, 12, 5))
    assert late_again.sent == 1
    subjects = [m["Subject"] for m in _eml(tmp_path / "outbox")]
    assert sum("overdue" in s for s in subjects) == 2 and sum("resolved" in s for s in subjects) == 1
    body = _eml(tmp_path / "outbox")[-1].get_content()
    assert "probation_youth_20261121.csv of 2026-11-21" in body and "due by 2026-11-28" in body


def test_run_failure_sensor_tells_the_operator_step_and_error_type_only(
    monkeypatch, sqlite_url: str, tmp_path: Path
) -> None:
    from assets.alerts import operator_run_failure_alert
    from assets.resources import AlertsResource, WarehouseResource

    Warehouse(sqlite_url).migrate()  # deployed: the sensor never creates a warehouse

    @dg.op
    def load_arrests() -> None:
        raise ValueError("row 7: Marisol Quintanilla 03/14/2010")  # an error text must never travel

    @dg.job
    def nightly_sync() -> None:
        load_arrests()

    instance = dg.DagsterInstance.ephemeral()
    result = nightly_sync.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    with smtp_server() as (port, inbox):
        resources = {
            "warehouse": WarehouseResource(url=sqlite_url),
            "alerts": AlertsResource(
                smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", operator_address="ops@county.example"
            ),
        }
        for _ in range(2):  # the sensor may see the same run twice: one message
            ctx = dg.build_run_status_sensor_context(
                sensor_name="operator_run_failure_alert",
                dagster_event=result.get_run_failure_event(),
                dagster_instance=instance,
                dagster_run=result.dagster_run,
                resources=resources,
            ).for_run_failure()
            operator_run_failure_alert(ctx)
    ((rcpts, msg),) = inbox.received
    assert rcpts == ["ops@county.example"]
    body = msg.get_content()
    assert result.run_id in body and "load_arrests: ValueError" in body
    assert "Marisol" not in body and "03/14/2010" not in body and "row 7" not in body


@pytest.mark.parametrize("tls", ["starttls", "ssl", "none"])
def test_smtp_settings_accept_the_tls_modes(tls: str) -> None:
    assert SmtpSettings("mail.example", tls=tls).tls == tls


def test_smtp_settings_reject_an_unknown_tls_mode() -> None:
    with pytest.raises(ValueError, match="TLS mode"):
        SmtpSettings("mail.example", tls="tls1.0")


def test_asset_check_has_one_metadata_entry_per_rule_and_no_values(generated, tmp_path: Path) -> None:
    from assets.sources import check_result
    from integrations.readers import read_extract
    from sync.pipeline import DeliveryOutcome
    from synthetic import broken

    source = SOURCES["probation"]
    path = broken.csv_bad_dates(generated.files["probation"], tmp_path / "p.csv", column="BIRTH_DT")
    from expectations import validate

    extract = read_extract(path, source)
    report = validate(extract, source, today=date(2026, 11, 22))
    outcome = DeliveryOutcome(
        source="probation",
        status="quarantined",
        file_name=path.name,
        rows_read=extract.rows_read,
        report=report.to_dict(),
    )
    check = check_result(outcome)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    meta = {k: v.value if hasattr(v, "value") else v for k, v in check.metadata.items()}
    for r in report.results:
        assert (
            meta[r.rule_id]["severity"] == r.severity and meta[r.rule_id]["rows_failed"] == r.unexpected_count
        )
    assert meta["probation_referrals.dob.parses"]["passed"] is False
    text = str(meta)
    frame = extract.tables["probation_referrals"]
    for col in ("record_id", "first_name", "last_name", "address", "referral_id"):
        for value in frame[col].dropna().astype(str):
            assert f"'{value}'" not in text and f" {value} " not in text


def test_overdue_sensor_alerts_every_contact_of_a_source_never_delivered(
    monkeypatch, sqlite_url, tmp_path
) -> None:
    from assets.definitions import build_definitions
    from tests.helpers import configure

    configure(monkeypatch, sqlite_url, tmp_path / "landing", tmp_path / "var")
    monkeypatch.delenv("SAFETYNET_SMTP_HOST", raising=False)
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("overdue_sensor")
    for _ in range(2):  # the second evaluation finds nothing new
        with dg.build_sensor_context(resources=defs.resources) as ctx:
            result = sensor(ctx)
        assert isinstance(result, dg.SkipReason)
    messages = _eml(tmp_path / "var" / "outbox")
    expected = sorted(c for s in SOURCES.values() for c in s.contacts)
    assert sorted(m["To"] for m in messages) == expected
    assert all("overdue" in m["Subject"] for m in messages)
