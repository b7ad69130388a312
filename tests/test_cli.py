"""The `safetynet` command as a user runs it: real subprocesses, real files, no tracebacks."""

from __future__ import annotations

import json

import pytest

from tests.cli_support import run


@pytest.mark.slow
def test_demo_loads_every_agency_kind_and_status_reports_it(tmp_path):
    demo = run(["demo", "--clients", "60", "--scale", "6"], cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "Traceback" not in demo.stderr
    out = demo.stdout
    for kind in ("probation", "social_services", "school_district", "arrest_log"):
        assert kind in out.split("agency kinds loaded:")[1].splitlines()[0]
    assert (tmp_path / "var" / "warehouse.db").is_file()
    assert (tmp_path / "var" / "dagster_home").is_dir()
    assert "alerts:" in out and list((tmp_path / "var" / "outbox").glob("*.eml"))  # the overdue alert

    status = run(["status", "--json"], cwd=tmp_path)
    assert status.returncode == 1, status.stderr  # the demo's late source needs attention
    assert status.stderr.strip() == "safetynet status: 1 source(s) need attention: alameda_so: overdue"
    data = json.loads(status.stdout)
    kinds = {s["kind"] for s in data["sources"]}
    assert kinds == {"safetynet_clients", "probation", "social_services", "school_district", "arrest_log"}
    for s in data["sources"]:
        assert set(s) == {
            "source",
            "kind",
            "agency",
            "cadence_days",
            "overdue",
            "last_delivery",
            "rows_read",
            "rows_quarantined",
            "matches",
            "review_items_open",
            "deliveries_pending",
            "deliveries_stuck",
            "files",
            "attention",
        }
        assert s["last_delivery"]["status"] == "loaded"
        # every loaded delivery left the landing zone for the archive
        assert s["files"]["landing"]["files"] == 0 and s["files"]["archived"]["files"] >= 1
        assert s["rows_read"] > 0
        assert s["overdue"] is (s["source"] == "alameda_so")  # the demo makes one source late
        assert s["attention"] == (["overdue"] if s["source"] == "alameda_so" else [])
        assert s["deliveries_stuck"] == 0 and s["deliveries_pending"] == 0
    assert sum(s["matches"] for s in data["sources"]) > 0

    # the demo a second time on the same day: nothing new, nothing changes, still succeeds
    again = run(["demo", "--clients", "60", "--scale", "6"], cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    status2 = json.loads(run(["status", "--json"], cwd=tmp_path).stdout)
    assert status2["sources"] == data["sources"]


def test_generate_writes_deliveries_truth_and_canonical_files(tmp_path):
    proc = run(
        [
            "generate",
            "--out",
            str(tmp_path / "out"),
            "--seed",
            "3",
            "--clients",
            "20",
            "--scale",
            "4",
            "--as-of",
            "2026-11-16",
        ],
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    assert (out / "truth" / "links.csv").is_file()
    assert (out / "canonical" / "records.csv").is_file()
    assert len(list((out / "landing").rglob("*20261116*"))) >= 7


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--out", "x", "--clients", "zero"],
        ["generate", "--out", "x", "--as-of", "16/11/2026"],
        ["no-such-command"],
        ["match", "--clients", "missing.csv", "--records", "missing.csv", "--out", "links.csv"],
    ],
)
def test_bad_arguments_give_one_clear_line_not_a_traceback(tmp_path, args):
    proc = run(args, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip()


def test_only_db_upgrade_creates_the_warehouse(tmp_path):
    for command in (["status"], ["sync"], ["seal", "oakland_pd", "B1"], ["users", "list"]):
        proc = run(command, cwd=tmp_path)
        assert proc.returncode == 4, (command, proc.stderr)
        assert "safetynet db upgrade" in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "var").exists()  # nothing was created

    upgrade = run(["db", "upgrade"], cwd=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "warehouse created" in upgrade.stdout and (tmp_path / "var" / "warehouse.db").is_file()
    again = run(["db", "upgrade"], cwd=tmp_path)
    assert "up to date" in again.stdout
    assert run(["db", "current"], cwd=tmp_path).returncode == 0


def test_status_speaks_of_the_project_home_whatever_the_working_directory(tmp_path):
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    assert run(["db", "upgrade"], cwd=home).returncode == 0
    proc = run(["status", "--json"], cwd=elsewhere, home=home)
    assert proc.returncode == 1 and "need attention" in proc.stderr  # nothing delivered yet: all overdue
    data = json.loads(proc.stdout)
    assert data["sources"] and all(s["attention"] == ["overdue"] for s in data["sources"])
    assert all(s["last_delivery"] is None for s in data["sources"])
    assert list(elsewhere.iterdir()) == []  # no warehouse, var/ or landing/ made where it ran


def test_an_outdated_warehouse_names_the_command_to_run(tmp_path):
    from warehouse import Warehouse

    # as the version before the merge left it: two heads, 0002_alerts and 0005_seal_review
    old = Warehouse(f"sqlite:///{tmp_path / 'var' / 'warehouse.db'}")
    old.migrate("0005_seal_review")
    old.migrate("0002_alerts")
    old.dispose()
    proc = run(["status"], cwd=tmp_path)
    assert proc.returncode == 4
    assert "0005_seal_review" in proc.stderr and "run `safetynet db upgrade`" in proc.stderr
    assert run(["db", "current"], cwd=tmp_path).returncode == 4
    assert run(["db", "upgrade"], cwd=tmp_path).returncode == 0
    assert run(["status"], cwd=tmp_path).returncode in (0, 1)


def test_an_unreachable_warehouse_is_one_line(tmp_path):
    url = "postgresql+psycopg://safetynet:secret@127.0.0.1:9/nowhere"
    proc = run(["status"], cwd=tmp_path, env={"SAFETYNET_WAREHOUSE_URL": url})
    assert proc.returncode == 4
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "cannot" in proc.stderr and "secret" not in proc.stderr


def test_a_bad_setting_is_one_line_naming_it(tmp_path):
    proc = run(["status"], cwd=tmp_path, env={"SAFETYNET_SMTP_PORT": "many"})
    assert proc.returncode == 2 and "SAFETYNET_SMTP_PORT" in proc.stderr and "many" not in proc.stderr
    (tmp_path / "safetynet.toml").write_text('landing = "x"\n')
    proc = run(["status"], cwd=tmp_path)
    assert proc.returncode == 2 and "unknown setting(s) landing" in proc.stderr


def test_sync_with_a_failed_step_exits_1_names_it_and_emails_the_operator(tmp_path, generated):
    import shutil

    landing = tmp_path / "landing"
    shutil.copytree(generated.landing_dir, landing)
    params = tmp_path / "var" / "matcher"
    params.mkdir(parents=True)
    (params / "current.json").write_text("{not json")  # as in the field: a broken parameters file
    assert run(["db", "upgrade"], cwd=tmp_path).returncode == 0
    proc = run(["sync"], cwd=tmp_path, timeout=900)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out and "{not json" not in out
    failed = [line for line in proc.stdout.splitlines() if "FAILED" in line]
    assert failed and "/warehouse (" in failed[0] and "Error)" in failed[0]
    assert "the operator was e-mailed" in proc.stderr
    mails = [m.read_text() for m in (tmp_path / "var" / "outbox").glob("*.eml")]
    to_operator = [t for t in mails if "run of nightly_sync failed" in t]
    assert len(to_operator) == len(failed)  # one per failed run
    assert all("safetynet-operator@localhost" in t and "/warehouse: " in t for t in to_operator)
