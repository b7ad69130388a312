"""Readers on real generated deliveries and on every broken variant (no mocks).

Good files: row counts, ``row_number`` pointing at the agency's own line/row, typed dates, mapped
codes, split charges, ``None`` (not NaN) for empty text under pandas 3. Broken files: the specific
``ExtractError.rule_id``, and a message that names file/line/sheet/columns but no cell value.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from integrations.charges import normalise_charge
from integrations.config import load_sources
from integrations.errors import READER_RULE_IDS, ExtractError
from integrations.kinds import PERSON_COLUMNS
from integrations.readers import read_extract
from synthetic import broken

SOURCES = load_sources()
CSV_SOURCES = [n for n, s in SOURCES.items() if s.format == "csv"]
XLSX_SOURCES = [n for n, s in SOURCES.items() if s.format == "xlsx"]


def _csv_lines(path: Path, encoding: str) -> list[str]:
    """Physical lines, 1-based (index 0 unused)."""
    return ["", *path.read_bytes().decode(encoding).splitlines()]


def _person_values(generated, name: str) -> set[str]:
    """Names, ids and DOBs of a good file, as they could leak into a message."""
    src = SOURCES[name]
    persons = read_extract(generated.files[name], src).persons()
    values: set[str] = set()
    for col in ("record_id", "first_name", "last_name", "address"):
        values |= {str(v) for v in persons[col].dropna() if len(str(v)) >= 4}
    mapping = src.tables[src.spec.person_table.name]
    fmt = mapping.date_format or "%m/%d/%Y"
    values |= {d.strftime(fmt) for d in persons["dob"].dropna()}
    values |= {d.strftime("%Y-%m-%d") for d in persons["dob"].dropna()}
    return values


def _assert_no_values(err: ExtractError, values: set[str]) -> None:
    text = f"{err} {err.message} {err.how_to_fix}"
    leaked = [v for v in values if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", text)]
    assert not leaked, f"message quotes file contents: {leaked[:3]}"


# --- good files --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SOURCES))
def test_reader_reads_every_generated_source(generated, name: str) -> None:
    src = SOURCES[name]
    ex = read_extract(generated.files[name], src)
    assert ex.source == name and ex.kind == src.kind
    assert {t: len(df) for t, df in ex.tables.items()} == generated.row_counts[name]
    assert ex.delivered_on == generated.as_of
    for tname, df in ex.tables.items():
        spec = src.spec.table(tname)
        for col in spec.columns:
            assert col.name in df.columns
            series = df[col.name]
            if col.type in ("date", "datetime"):
                assert series.dtype == "datetime64[ns]", (tname, col.name, series.dtype)
                assert df[f"_unparsed_{col.name}"].isna().all()
                if col.type == "date":
                    assert (series.dropna() == series.dropna().dt.normalize()).all()
            elif col.type == "int":
                assert series.dtype == "Int64"
            else:
                # pandas 3: text columns hold str or None, never NaN
                assert series.dtype == object
                assert all(v is None or isinstance(v, str) for v in series), (tname, col.name)
            if col.codes and col.name in src.tables[tname].columns:
                assert set(series.dropna()) <= set(col.codes), (tname, col.name)
        assert df["row_number"].is_unique and df["row_number"].is_monotonic_increasing


@pytest.mark.parametrize("name", list(SOURCES))
def test_persons_has_one_row_per_record_in_the_person_schema(generated, name: str) -> None:
    ex = read_extract(generated.files[name], SOURCES[name])
    persons = ex.persons()
    assert list(persons.columns) == list(PERSON_COLUMNS)
    assert persons["record_id"].is_unique
    assert persons["dob"].dtype == "datetime64[ns]"
    for col in ("aliases", "middle_name"):
        assert all(v is None or isinstance(v, str) for v in persons[col])


@pytest.mark.parametrize("name", CSV_SOURCES)
def test_csv_row_number_is_the_physical_line(generated, name: str) -> None:
    src = SOURCES[name]
    ((tname, mapping),) = src.tables.items()
    lines = _csv_lines(generated.files[name], src.encoding)
    table = read_extract(generated.files[name], src).tables[tname]
    assert table["row_number"].iloc[0] == 2 and table["row_number"].iloc[-1] == len(lines) - 1
    id_pos = mapping.agency_columns().index(mapping.columns["record_id"])
    for row in table.sample(20, random_state=1).itertuples():
        cells = next(csv.reader([lines[row.row_number]]))
        assert cells[id_pos] == row.record_id


@pytest.mark.parametrize("name", XLSX_SOURCES)
def test_xlsx_row_number_is_the_excel_row(generated, name: str) -> None:
    src = SOURCES[name]
    ex = read_extract(generated.files[name], src)
    wb = load_workbook(generated.files[name], read_only=True)
    for tname, table in ex.tables.items():
        mapping = src.tables[tname]
        ws = wb[mapping.sheet]
        col = mapping.agency_columns().index(mapping.columns["record_id"]) + 1
        assert table["row_number"].iloc[0] == 4  # title, blank, header
        wanted = dict(zip(table["row_number"], table["record_id"], strict=True))
        for r, (cell,) in enumerate(ws.iter_rows(min_col=col, max_col=col, values_only=True), start=1):
            if r in wanted:
                assert str(cell) == wanted[r]
    wb.close()


def test_codes_are_mapped_and_charges_split(generated) -> None:
    so = read_extract(generated.files["alameda_so"], SOURCES["alameda_so"]).tables["arrests"]
    raw = list(csv.DictReader(io.StringIO(generated.files["alameda_so"].read_bytes().decode("cp1252"))))
    assert set(so["sex"]) <= {"F", "M", "X"}
    assert "FEMALE" in {r["SUBJ_SEX"] for r in raw}
    for row, rec in zip(raw, so.itertuples(), strict=True):
        expected = [row[c] for c in ("CHARGE_1", "CHARGE_2", "CHARGE_3") if row[c]]
        assert rec.charges.split("|") == expected
        assert rec.arrest_datetime.strftime("%Y%m%d %H%M") == f"{row['ARREST_DATE']} {row['ARREST_TIME']}"
    assert all(normalise_charge(c)[1] for s in so["charges"] for c in s.split("|"))
    opd = read_extract(generated.files["oakland_pd"], SOURCES["oakland_pd"]).tables["arrests"]
    assert opd["charges"].str.contains(r"\|").any() and not opd["charges"].str.contains(";").any()
    assert set(opd["race"].dropna()) <= {"Black", "Hispanic", "White", "Asian", "Pacific Islander",
                                         "Native American", "Other", "Unknown"}  # fmt: skip
    prob = read_extract(generated.files["probation"], SOURCES["probation"]).tables["probation_referrals"]
    assert {"closed", "probation"} <= set(prob["supervision_status"])
    cfs = read_extract(generated.files["social_services"], SOURCES["social_services"])
    assert "evaluated_out" in set(cfs.tables["welfare_referrals"]["disposition"])
    assert set(cfs.tables["welfare_clients"]["aliases"].dropna().map(lambda s: "," in s)) == {False}


def test_excel_numbers_come_back_as_text_ids(generated) -> None:
    t = read_extract(generated.files["hayward_usd"], SOURCES["hayward_usd"]).tables["school_enrollments"]
    assert t["record_id"].str.fullmatch(r"\d+").all()  # no "123456.0"
    assert t["zip"].dropna().str.fullmatch(r"\d{5}").all()


# --- tolerated mess -----------------------------------------------------------------------------


def test_utf8_bom_crlf_blank_and_empty_rows_are_tolerated(landing_copy: Path) -> None:
    src = SOURCES["oakland_pd"]
    path = next((landing_copy / src.landing).glob("*.csv"))
    lines = path.read_text(encoding="utf-8").splitlines()
    n = len(lines) - 1
    width = len(next(csv.reader([lines[0]])))
    # BOM (Excel "CSV UTF-8"), Windows line ends, a blank line after line 3, a ",,,," row at the end
    mess = [*lines[:3], "", *lines[3:], "," * (width - 1), ""]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(mess).encode("utf-8"))
    ex = read_extract(path, src)
    t = ex.tables["arrests"]
    assert len(t) == n
    assert t["row_number"].iloc[2] == 5  # line 4 is blank: the third record is on line 5
    assert ex.notes and "empty row" in ex.notes[0]


def test_quoted_newline_keeps_physical_line_numbers(landing_copy: Path) -> None:
    src = SOURCES["probation"]
    path = next((landing_copy / src.landing).glob("*.csv"))
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    addr = rows[0].index("ADDR")
    rows[1][addr] = rows[1][addr] + "\nApt B"  # a two-line address on line 2-3
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    t = read_extract(path, src).tables["probation_referrals"]
    assert t["address"].iloc[0].endswith("Apt B")
    assert list(t["row_number"].iloc[:3]) == [2, 4, 5]


# --- broken variants ----------------------------------------------------------------------------


#: variants that re-read the good CSV as text, so they need its encoding
_CSV_TEXT_VARIANTS = (
    "missing_column",
    "renamed_column",
    "semicolon",
    "truncated",
    "extra_field",
    "wrong_encoding",
)


def _cases() -> list[tuple[str, str]]:
    out = []
    for name, src in SOURCES.items():
        for v in broken.CATALOGUE.values():
            if src.format not in v.formats or v.rule_id is None:
                continue
            if v.name == "wrong_encoding" and src.encoding != "utf-8":
                continue
            out.append((name, v.name))
    return out


@pytest.mark.parametrize(("name", "variant"), _cases())
def test_broken_variant_gives_its_rule_and_no_values(
    generated, tmp_path: Path, name: str, variant: str
) -> None:
    src = SOURCES[name]
    good = generated.files[name]
    v = broken.CATALOGUE[variant]
    dest = tmp_path / good.name
    kwargs = {"encoding": src.encoding} if variant in _CSV_TEXT_VARIANTS else {}
    v.make(good, dest, **kwargs)
    with pytest.raises(ExtractError) as info:
        read_extract(dest, src)
    err = info.value
    assert err.rule_id == v.rule_id, err.message
    assert err.rule_id in READER_RULE_IDS
    assert err.file_name == good.name and str(err).startswith(good.name)
    assert err.how_to_fix
    assert "Traceback" not in str(err)
    _assert_no_values(err, _person_values(generated, name))


def test_missing_column_message_names_the_column(generated, tmp_path: Path) -> None:
    src = SOURCES["oakland_pd"]
    dest = broken.csv_missing_column(generated.files["oakland_pd"], tmp_path / "a.csv", column="DOB")
    with pytest.raises(ExtractError) as info:
        read_extract(dest, src)
    assert info.value.columns == ("DOB",) and "DOB" in info.value.message


def test_renamed_sheet_column_names_sheet_and_column(generated, tmp_path: Path) -> None:
    src = SOURCES["social_services"]
    dest = broken.xlsx_renamed_column(
        generated.files["social_services"], tmp_path / "a.xlsx", sheet="Referrals", column="Disposition"
    )
    with pytest.raises(ExtractError) as info:
        read_extract(dest, src)
    assert info.value.rule_id == "schema.missing_columns"
    assert info.value.sheet == "Referrals" and "Referrals" in info.value.message
    assert "Disposition" in info.value.message


def test_semicolon_message_says_so(generated, tmp_path: Path) -> None:
    dest = broken.csv_semicolon(generated.files["probation"], tmp_path / "p.csv")
    with pytest.raises(ExtractError) as info:
        read_extract(dest, SOURCES["probation"])
    assert "';'-separated" in info.value.message


def test_truncated_and_malformed_name_the_line(generated, tmp_path: Path) -> None:
    good = generated.files["oakland_usd"]
    cut = broken.csv_truncated(good, tmp_path / "cut.csv")
    with pytest.raises(ExtractError) as info:
        read_extract(cut, SOURCES["oakland_usd"])
    last_line = cut.read_text(encoding="utf-8").count("\n") + 1
    assert info.value.row == last_line and f"line {last_line}" in info.value.message
    bad = broken.csv_extra_field(good, tmp_path / "bad.csv")
    with pytest.raises(ExtractError) as info:
        read_extract(bad, SOURCES["oakland_usd"])
    assert info.value.row == 3 and info.value.rule_id == "file.malformed"


def test_bad_dates_are_unparsed_not_errors(generated, tmp_path: Path) -> None:
    src = SOURCES["oakland_usd"]
    dest = broken.csv_bad_dates(generated.files["oakland_usd"], tmp_path / "d.csv", column="EntryDate")
    t = read_extract(dest, src).tables["school_enrollments"]
    bad = t["_unparsed_enroll_start"].notna()
    assert bad.sum() == (len(t) + 6) // 7
    assert t.loc[bad, "enroll_start"].isna().all()
    assert t.loc[bad, "row_number"].iloc[0] == 2  # the first data line was damaged
    assert t.loc[~bad, "enroll_start"].notna().all()


def test_duplicate_ids_are_read_for_the_suite_to_flag(generated, tmp_path: Path) -> None:
    dest = broken.csv_duplicate_ids(generated.files["probation"], tmp_path / "p.csv")
    t = read_extract(dest, SOURCES["probation"]).tables["probation_referrals"]
    assert t["referral_id"].duplicated().sum() == 3


def test_missing_and_blank_files(tmp_path: Path) -> None:
    with pytest.raises(ExtractError) as info:
        read_extract(tmp_path / "nothing.csv", SOURCES["probation"])
    assert info.value.rule_id == "file.missing"
    blank = tmp_path / "blank.csv"
    blank.write_text("\n \n\n", encoding="utf-8")
    with pytest.raises(ExtractError) as info:
        read_extract(blank, SOURCES["probation"])
    assert info.value.rule_id == "file.empty"


def test_xlsx_delivered_to_a_csv_source(generated, tmp_path: Path) -> None:
    dest = tmp_path / "opd_arrests_20261116.csv"
    shutil.copy(generated.files["hayward_usd"], dest)
    with pytest.raises(ExtractError) as info:
        read_extract(dest, SOURCES["oakland_pd"])
    assert info.value.rule_id == "file.not_csv"


def test_header_only_file_reads_as_no_rows(generated, tmp_path: Path) -> None:
    src = SOURCES["oakland_pd"]
    header = generated.files["oakland_pd"].read_text(encoding="utf-8").splitlines()[0]
    dest = tmp_path / "h.csv"
    dest.write_text(header + "\n", encoding="utf-8")
    t = read_extract(dest, src).tables["arrests"]
    assert len(t) == 0 and "row_number" in t.columns


def test_dates_out_of_range_are_unparsed(generated, tmp_path: Path) -> None:
    src = SOURCES["oakland_usd"]  # ISO dates (date_format %Y-%m-%d)
    rows = list(csv.reader(io.StringIO(generated.files["oakland_usd"].read_text(encoding="utf-8"))))
    rows[1][rows[0].index("BirthDate")] = "0202-05-01"  # a typo'd year outside datetime64[ns]
    dest = tmp_path / "c.csv"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    dest.write_text(buf.getvalue(), encoding="utf-8")
    t = read_extract(dest, src).tables["school_enrollments"]
    assert pd.isna(t["dob"].iloc[0]) and t["_unparsed_dob"].iloc[0] == "0202-05-01"


def test_xlsx_text_and_junk_in_date_cells(generated, tmp_path: Path) -> None:
    src = SOURCES["hayward_usd"]
    wb = load_workbook(generated.files["hayward_usd"])
    ws = wb["Enrollment"]
    header = [c.value for c in ws[3]]
    col = header.index("Enter Date") + 1
    ws.cell(row=4, column=col).value = "08/20/2024"  # typed as text by hand: still a date
    ws.cell(row=6, column=col).value = "TBD"
    dest = tmp_path / generated.files["hayward_usd"].name
    wb.save(dest)
    t = read_extract(dest, src).tables["school_enrollments"]
    first = t.iloc[0]
    assert first["row_number"] == 4 and first["enroll_start"] == pd.Timestamp("2024-08-20")
    bad = t[t["_unparsed_enroll_start"].notna()]
    assert list(bad["row_number"]) == [6] and bad["_unparsed_enroll_start"].iloc[0] == "TBD"
    assert pd.isna(bad["enroll_start"].iloc[0])


def test_utf8_delivered_to_a_cp1252_source_is_read_with_a_note(generated, tmp_path: Path) -> None:
    src = SOURCES["alameda_so"]
    good = generated.files["alameda_so"]
    text = good.read_bytes().decode("cp1252")
    dest = tmp_path / good.name
    dest.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    ex = read_extract(dest, src)
    assert ex.notes and "UTF-8" in ex.notes[0]
    want = read_extract(good, src).tables["arrests"]
    pd.testing.assert_frame_equal(ex.tables["arrests"], want)


def test_cp1252_bytes_undefined_in_the_code_page_are_an_encoding_error(generated, tmp_path: Path) -> None:
    good = generated.files["alameda_so"]
    data = bytearray(good.read_bytes())
    second_line = data.index(b"\n") + 1
    data[second_line + 3] = 0x81  # undefined in cp1252 and invalid as UTF-8
    dest = tmp_path / good.name
    dest.write_bytes(bytes(data))
    with pytest.raises(ExtractError) as info:
        read_extract(dest, SOURCES["alameda_so"])
    assert info.value.rule_id == "file.encoding" and info.value.row == 2
