"""`safetynet validate SOURCE FILE`: the same suite as the nightly run, a readable report, exit 1
when the file would be quarantined, and never a traceback, whatever the file."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tracemalloc
from datetime import date
from pathlib import Path

import pytest

from expectations import validate
from expectations.chunked import validate_chunks
from integrations.config import load_sources
from integrations.readers import iter_stream_extracts, read_extract
from safetynet import cli
from synthetic import broken, generate
from synthetic.knobs import GeneratorKnobs

SOURCES = load_sources()
TODAY = date(2026, 11, 22)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["validate", *args, "--today", TODAY.isoformat()])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _broken(generated, tmp_path: Path, source: str, variant: str, **kw) -> Path:
    src = generated.files[source]
    return broken.CATALOGUE[variant].make(src, tmp_path / src.name, **kw)


def test_good_file_passes_with_exit_0(capsys, tmp_path) -> None:
    # A delivery without the planted placeholder DOBs (the shared fixture's may hold one: a warning),
    # and its row count from the generator rather than a number that changes with the generator.
    g = generate(
        tmp_path, seed=7, clients=60, scale=6, as_of=TODAY, knobs=GeneratorKnobs(placeholder_dob=0.0)
    )
    code, out, _ = run_cli(capsys, "hayward_usd", str(g.files["hayward_usd"]))
    assert code == 0
    rows = g.row_counts["hayward_usd"]["school_enrollments"]
    assert "every check passed" in out and f"{rows} rows" in out


def test_warnings_only_exit_0_and_list_rows(capsys, generated) -> None:
    code, out, _ = run_cli(capsys, "oakland_pd", str(generated.files["oakland_pd"]))
    assert code == 0
    assert "would load, with warnings" in out
    assert "WARNING  arrests.charges.sb1322_minor  3 rows" in out and "Rows:" in out


@pytest.mark.parametrize(
    ("source", "variant", "rule", "words"),
    [
        ("probation", "empty", "file.empty", "empty"),
        ("probation", "truncated", "file.truncated", "cut off"),
        ("probation", "semicolon", "schema.missing_columns", "';'-separated"),
        ("probation", "wrong_encoding", "file.encoding", "Windows-1252"),
        ("probation", "renamed_column", "schema.missing_columns", "PLCMT_END"),
        ("probation", "missing_column", "schema.missing_columns", "PLCMT_END"),
        ("probation", "html", "file.not_csv", "HTML"),
        ("probation", "extra_field", "file.malformed", "line 3"),
        ("social_services", "xlsx_encrypted", "file.encrypted", "password"),
        ("social_services", "xlsx_corrupt", "file.unreadable", "not a readable XLSX"),
        ("social_services", "xlsx_damaged_sheet", "file.unreadable", "damaged"),
        ("social_services", "xlsx_missing_sheet", "schema.missing_sheet", "Placements"),
        ("hayward_usd", "html_xlsx", "file.unreadable", "XLSX"),
        ("oakland_pd", "xlsx_encrypted", "file.not_csv", "Excel workbook"),  # a workbook sent as CSV
    ],
)
def test_unreadable_files_would_be_quarantined(capsys, generated, tmp_path, source, variant, rule, words):
    path = _broken(generated, tmp_path, source, variant)
    code, out, _ = run_cli(capsys, source, str(path))
    assert code == 1, out
    assert "WOULD BE QUARANTINED" in out
    assert f"BLOCKING {rule}" in out.replace("  ", " ")
    assert words in out
    assert "How to fix:" in out


def test_row_level_failures_name_rows_and_rules(capsys, generated, tmp_path) -> None:
    path = broken.csv_bad_dates(generated.files["probation"], tmp_path / "p.csv", column="BIRTH_DT")
    code, out, _ = run_cli(capsys, "probation", str(path))
    assert code == 1
    assert "BLOCKING probation_referrals.dob.parses" in out.replace("  ", " ")
    assert "Rows:       2, 9, 16" in out and "MM/DD/YYYY" in out


def test_latin1_name_in_a_cp1252_source_reads(capsys, generated, tmp_path) -> None:
    """The sheriff exports cp1252: Peña in Windows-1252 bytes is a name, not an error."""
    src = generated.files["alameda_so"]
    dest = tmp_path / src.name
    text = src.read_bytes().decode("cp1252")
    lines = text.splitlines(keepends=True)
    lines[1] = lines[1].replace(lines[1].split(",")[5], "PEÑA", 1)
    dest.write_bytes("".join(lines).encode("cp1252"))
    assert b"PE\xd1A" in dest.read_bytes()
    code, out, _ = run_cli(capsys, "alameda_so", str(dest))
    assert code == 0, out


def test_xlsx_with_title_rows_and_a_merged_two_row_header(capsys, generated, tmp_path) -> None:
    from openpyxl import load_workbook

    src = generated.files["hayward_usd"]
    wb = load_workbook(src)
    ws = wb["Enrollment"]
    ws.merge_cells("A1:R1")  # the report title spans the sheet
    ws.insert_rows(4)  # the header becomes two rows: "Days" over "Enrolled" / "Absent"
    ws["Q3"], ws["R3"], ws["Q4"], ws["R4"] = "Days", None, "Enrolled", "Absent"
    ws.merge_cells("Q3:R3")
    for col in "ABCDEFGHIJKLMNOP":
        ws.merge_cells(f"{col}3:{col}4")
    path = tmp_path / src.name
    wb.save(path)
    code, out, _ = run_cli(capsys, "hayward_usd", str(path))
    assert code == 0, out
    extract = read_extract(path, SOURCES["hayward_usd"])
    table = extract.tables["school_enrollments"]
    assert table["row_number"].iloc[0] == 5  # first data row under the two header rows
    assert table["days_absent"].notna().all()
    assert len(table) == generated.row_counts["hayward_usd"]["school_enrollments"]


def test_usage_errors_are_one_line_exit_2(capsys, tmp_path) -> None:
    assert cli.main(["validate", "nosuch", str(tmp_path)]) == 2
    assert "unknown source 'nosuch'" in capsys.readouterr().err
    assert cli.main(["validate", "probation", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_binary_garbage_and_json_output(capsys, tmp_path) -> None:
    junk = tmp_path / "probation_youth_20261122.csv"
    junk.write_bytes(bytes(range(256)) * 40)
    code = cli.main(["validate", "probation", str(junk), "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    report = json.loads(out)
    assert report["quarantined"] is True and report["results"][0]["severity"] == "blocking"


def test_chunked_validation_equals_whole_file_validation(generated, tmp_path) -> None:
    """A key repeated across chunks is still a duplicate; counts and rows match the one-shot run."""
    src = generated.files["probation"]
    path = broken.csv_duplicate_ids(src, tmp_path / src.name, n=5)  # rows 2-6 repeated at the end
    source = SOURCES["probation"]
    whole = validate(read_extract(path, source), source, today=TODAY)
    with open(path, "rb") as fh:
        chunked = validate_chunks(
            iter_stream_extracts(fh, path.name, source, chunk_rows=50), source, today=TODAY
        )
    assert chunked.rows_checked == whole.rows_checked
    assert [r.to_dict() for r in chunked.results] == [r.to_dict() for r in whole.results]
    assert any(r.rule_id.endswith(".unique") and not r.success for r in chunked.results)


def _peak_reading(rows: int) -> tuple[int, int]:
    """(rows read, peak traced bytes) streaming an arrest log of ``rows`` rows in 2,000-row chunks."""
    source = SOURCES["oakland_pd"]
    tracemalloc.start()
    seen = 0
    try:
        stream = io.BufferedReader(broken.ArrestLogStream(rows))
        for extract in iter_stream_extracts(stream, "opd_arrests_20261122.csv", source, chunk_rows=2000):
            seen += extract.rows_read
        return seen, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_huge_file_is_streamed_in_bounded_memory() -> None:
    """The 2 GB case without 2 GB: a generated stream through the same reader; memory does not
    grow with the file (4x the rows, about the same peak)."""
    small_rows, small_peak = _peak_reading(4_000)
    big_rows, big_peak = _peak_reading(16_000)
    assert (small_rows, big_rows) == (4_000, 16_000)
    assert big_peak < 1.5 * small_peak, (small_peak, big_peak)


def test_streamed_validation_finds_duplicates_across_chunks() -> None:
    source = SOURCES["oakland_pd"]
    stream = io.BufferedReader(broken.ArrestLogStream(12_000, duplicate_every=5_000))
    report = validate_chunks(
        iter_stream_extracts(stream, "opd_arrests_20261122.csv", source, chunk_rows=4_000),
        source,
        today=TODAY,
    )
    assert report.rows_checked == 12_000
    dup = next(r for r in report.results if r.rule_id == "arrests.record_id.unique")
    # bookings 4999 and 9999 appear twice (rows 5000/5001 and 10000/10001 + 1 for the header line)
    assert (dup.success, dup.unexpected_count, dup.row_numbers) == (False, 4, (5001, 5002, 10001, 10002))


def test_the_command_line_never_shows_a_traceback(generated, tmp_path) -> None:
    bad = _broken(generated, tmp_path, "probation", "truncated")
    exe = Path(sys.executable).with_name("safetynet")
    env = {**os.environ, "SAFETYNET_VAR_DIR": str(tmp_path / "var")}
    proc = subprocess.run(
        [str(exe), "validate", "probation", str(bad)], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "file.truncated" in proc.stdout
    shutil.rmtree(tmp_path / "var", ignore_errors=True)
