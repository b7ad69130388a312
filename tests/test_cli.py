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
    assert status.returncode == 0, status.stderr
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
        }
        assert s["last_delivery"]["status"] == "loaded"
        assert s["rows_read"] > 0
        assert s["overdue"] is (s["source"] == "alameda_so")  # the demo makes one source late
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


def test_status_on_an_empty_warehouse_lists_every_source_as_overdue(tmp_path):
    proc = run(["status", "--json"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["sources"] and all(s["overdue"] and s["last_delivery"] is None for s in data["sources"])
