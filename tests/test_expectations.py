"""Validation suites (expectations/): every rule passes on good data and fails on broken data with
the right id, severity and agency row numbers; reports never carry a cell value.

Extracts are built from small hand-made frames in each agency's own layout (config/sources.yaml),
mapped by ``integrations.mapping.map_table`` exactly as the readers do. Real GX runs, no mocks.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from expectations import MAX_ROW_NUMBERS, ValidationReport, all_rules, reader_error_report, validate
from integrations.config import load_sources
from integrations.errors import ExtractError
from integrations.extract import Extract
from integrations.kinds import KINDS
from integrations.mapping import map_table
from integrations.vocabularies import vocabulary

TODAY = date(2026, 11, 16)
SOURCES = load_sources()


# --- good deliveries in each agency's layout ------------------------------------------------------


def _probation() -> dict[str, pd.DataFrame]:
    return {
        "probation_referrals": pd.DataFrame(
            {
                "YOUTH_ID": ["Y500123", "Y500124", "Y500125", "Y500123"],
                "FIRST_NM": ["Marisol", "Keisha", "Thuy", "Marisol"],
                "MIDDLE_NM": ["Esperanza", "", "Linh", "Esperanza"],
                "LAST_NM": ["Quintanilla", "Washburn", "Nguyen-Tran", "Quintanilla"],
                "AKA": ["Mari;Sol Q", "", "", "Mari"],
                "BIRTH_DT": ["03/14/2010", "07/02/2009", "11/30/2011", "03/14/2010"],
                "GENDER": ["FEMALE", "FEMALE", "NONBINARY", "FEMALE"],
                "ETHNICITY": ["HISPANIC", "BLACK", "ASIAN", "HISPANIC"],
                "ADDR": ["4417 Alder Creek Rd", "88 Tamarack Way", "", "4417 Alder Creek Rd"],
                "CITY": ["Oakland", "Hayward", "Fremont", "Oakland"],
                "ZIP": ["94601", "94541", "94536", "94601"],
                "REFERRAL_NO": ["R2024-0001", "R2024-0002", "R2025-0003", "R2025-0004"],
                "REFERRAL_DT": ["02/11/2024", "05/20/2024", "01/09/2025", "08/01/2025"],
                "SUPV_STATUS": ["WARD 602", "INFORMAL", "PENDING", "PROBATION"],
                "PO_NAME": ["Officer Dunleavy", "Officer Abernathy", "", "Officer Dunleavy"],
                "COURT": ["Girls' Court", "", "", "Girls' Court"],
                "PLCMT_TYPE": ["STRTP", "", "", "RELATIVE"],
                "FACILITY": ["Sycamore Ridge Center", "", "", ""],
                "PLCMT_START": ["03/01/2024", "", "", "08/15/2025"],
                "PLCMT_END": ["09/30/2024", "", "", ""],
            }
        )
    }


def _social_services() -> dict[str, pd.DataFrame]:
    # XLSX cells arrive as Python datetimes (openpyxl), and row numbers are Excel rows (title rows above)
    return {
        "welfare_clients": pd.DataFrame(
            {
                "Client ID": ["C-77001", "C-77002", "C-77003"],
                "First Name": ["Yesenia", "Latonya", "Brianna"],
                "Middle Name": ["", "Rae", ""],
                "Last Name": ["Villalobos", "Fairweather", "Okonkwo"],
                "Also Known As": ["Yesi, Nena", "", ""],
                "Date of Birth": [datetime(2011, 5, 4), datetime(2008, 12, 24), datetime(2013, 2, 2)],
                "Sex": ["Female", "Female", "Intersex"],
                "Primary Ethnicity": ["Hispanic", "Black", "Multiracial"],
                "Street Address": ["2901 Mandana Blvd", "", "17 Quarry Lane"],
                "City": ["Oakland", "San Leandro", "Union City"],
                "Zip Code": ["94610", "94577", "94587"],
                "row_number": [4, 5, 6],
            }
        ),
        "welfare_referrals": pd.DataFrame(
            {
                "Referral ID": ["REF-9001", "REF-9002", "REF-9003"],
                "Client ID": ["C-77001", "C-77002", "C-77001"],
                "Received Date": [datetime(2023, 3, 3), datetime(2024, 6, 6), datetime(2025, 1, 17)],
                "Allegation": ["Sexual exploitation", "General neglect", "Caretaker absence"],
                "Disposition": ["Substantiated", "Inconclusive", "Evaluated Out"],
                "row_number": [2, 3, 4],
            }
        ),
        "welfare_placements": pd.DataFrame(
            {
                "Episode ID": ["EP-501", "EP-502"],
                "Client ID": ["C-77001", "C-77003"],
                "Placement Type": ["Foster Family Home", "Relative/NREFM"],
                "Start Date": [datetime(2023, 4, 1), datetime(2024, 9, 9)],
                "End Date": [datetime(2024, 1, 31), None],
                "row_number": [2, 3],
            }
        ),
    }


def _oakland_usd() -> dict[str, pd.DataFrame]:
    return {
        "school_enrollments": pd.DataFrame(
            {
                "StudentID": ["S3300101", "S3300102", "S3300101"],
                "SSID": ["9876543210", "", "9876543210"],
                "StudentFirstName": ["Anaya", "Jazmine", "Anaya"],
                "StudentMiddleName": ["", "", ""],
                "StudentLastName": ["Castellanos", "Pettiford", "Castellanos"],
                "BirthDate": ["2010-09-09", "2009-04-18", "2010-09-09"],
                "Gender": ["F", "N", "F"],
                "Ethnicity": ["Hispanic", "Black", "Hispanic"],
                "HomeAddress": ["6120 Outlook Ave", "", "6120 Outlook Ave"],
                "HomeCity": ["Oakland", "Oakland", "Oakland"],
                "HomeZip": ["94605", "94621", "94605"],
                "SchoolName": ["Fremont High", "Castlemont High", "Skyline High"],
                "Grade": ["10", "11", "10"],
                "SchoolYear": ["2025-2026", "2025-2026", "2025-2026"],
                "EntryDate": ["2025-08-12", "2025-08-12", "2025-10-01"],
                "LeaveDate": ["2025-09-30", "", ""],
                "DaysEnrolled": ["34", "64", "33"],
                "DaysAbsent": ["4", "0", "33"],
            }
        )
    }


def _hayward_usd() -> dict[str, pd.DataFrame]:
    return {
        "school_enrollments": pd.DataFrame(
            {
                "Perm ID": [40011, 40012],  # Excel numbers
                "State Student ID": ["1122334455", ""],
                "First": ["Destiny", "Guadalupe"],
                "Middle": ["", "Inez"],
                "Last": ["Holloway", "Barragan"],
                "DOB": [datetime(2011, 1, 15), datetime(2012, 6, 30)],
                "Sex": ["Female", "Non-Binary"],
                "Race/Ethnicity": ["Black", "Hispanic"],
                "Address": ["", "300 Tennyson Rd"],
                "City": ["Hayward", "Hayward"],
                "ZIP": ["94544", "94544"],
                "School": ["Tennyson High", "Bret Harte Middle"],
                "Gr": ["9", "8"],
                "Year": ["2025-2026", "2025-2026"],
                "Enter Date": [datetime(2025, 8, 13), datetime(2025, 8, 13)],
                "Exit Date": [None, None],
                "Days Enrolled": [65, 65],
                "Days Absent": [12, 3],
                "row_number": [3, 4],
            }
        )
    }


def _oakland_pd() -> dict[str, pd.DataFrame]:
    return {
        "arrests": pd.DataFrame(
            {
                "BookingNumber": ["OPD-25-004411", "OPD-25-004412", "OPD-25-004413"],
                "ORI": ["CA0010900", "CA0010900", "CA0010900"],
                "ArrestDateTime": ["03/15/2025 22:40", "06/02/2025 01:15", "10/30/2025 17:05"],
                "FirstName": ["Shantel", "Rosalind", "Ximena"],
                "MiddleName": ["", "Joy", ""],
                "LastName": ["Birdsong", "Ekwueme", "Arellano"],
                "AKA": ["Tel;Lady T", "", ""],
                "DOB": ["02/02/2005", "12/12/1998", "07/07/2008"],
                "Sex": ["F", "F", "F"],
                "Race": ["B", "B", "H"],
                "Address": ["", "1550 Fruitvale Ave", ""],
                "City": ["Oakland", "Oakland", ""],
                "Zip": ["", "94601", ""],
                "Charges": ["647(b) PC", "PC 148(a)(1);HS 11350", "PC 459"],
            }
        )
    }


def _alameda_so() -> dict[str, pd.DataFrame]:
    return {
        "arrests": pd.DataFrame(
            {
                "BOOKING_NO": ["ACSO2025117", "ACSO2025118"],
                "ARREST_AGENCY_ORI": ["CA0010000", "CA0010000"],
                "ARREST_DATE": ["20250404", "20250909"],
                "ARREST_TIME": ["2310", "0045"],
                "SUBJ_FIRST": ["Kiana", "Lourdes"],
                "SUBJ_MIDDLE": ["", ""],
                "SUBJ_LAST": ["Thibodeaux", "Zamudio"],
                "SUBJ_ALIAS": ["Kiki/K-Money", ""],
                "SUBJ_DOB": ["19990321", "19970101"],
                "SUBJ_SEX": ["FEMALE", "FEMALE"],
                "SUBJ_RACE": ["BLACK", "HISPANIC"],
                "SUBJ_ADDR": ["", ""],
                "SUBJ_CITY": ["Hayward", ""],
                "SUBJ_ZIP": ["", ""],
                "CHARGE_1": ["236.1(c) PC", "PC647B"],
                "CHARGE_2": ["PC 148", ""],
                "CHARGE_3": ["", ""],
            }
        )
    }


def _clients() -> dict[str, pd.DataFrame]:
    return {
        "clients": pd.DataFrame(
            {
                "Client ID": ["SN-0101", "SN-0102"],
                "First Name": ["Marisol", "Shantel"],
                "Middle Name": ["Esperanza", ""],
                "Last Name": ["Quintanilla", "Birdsong"],
                "AKA / Street Names": ["Mari|Sol Q", "Lady T"],
                "DOB": ["2010-03-14", "2005-02-02"],
                "Sex": ["F", "F"],
                "Gender Identity": ["", "transgender girl"],
                "Race/Ethnicity": ["Hispanic", "Black"],
                "Address": ["4417 Alder Creek Rd", ""],
                "City": ["Oakland", "Oakland"],
                "County": ["Alameda", "Alameda"],
                "ZIP": ["94601", ""],
                "Referral Date": ["2024-03-01", "2025-04-01"],
                "CSEC Status": ["Identified", "At Risk"],
                "Risk Factors": ["runaway|chronic_absence", ""],
                "Next Meeting": ["2026-12-02", ""],  # a future meeting date is fine
            }
        ),
        "client_residences": pd.DataFrame(
            {
                "Client ID": ["SN-0101", "SN-0101", "SN-0102"],
                "City": ["Las Vegas", "Oakland", "Oakland"],
                "County": ["Clark", "Alameda", "Alameda"],
                "State": ["NV", "CA", "CA"],
                "From": ["2022-05-01", "2023-11-20", "2024-01-15"],
                "To": ["2023-08-31", "", ""],  # a gap between two residences is not an error
            }
        ),
        "client_services": pd.DataFrame(
            {
                "Client ID": ["SN-0101", "SN-0101"],
                "Service": ["csec_advocacy", "mental_health"],
                "Provider": ["misssey", ""],
                "Start Date": ["2024-03-15", "2024-05-02"],
                "End Date": ["", "2024-11-30"],
            }
        ),
    }


GOOD: dict[str, Callable[[], dict[str, pd.DataFrame]]] = {
    "safetynet_clients": _clients,
    "probation": _probation,
    "social_services": _social_services,
    "oakland_usd": _oakland_usd,
    "hayward_usd": _hayward_usd,
    "oakland_pd": _oakland_pd,
    "alameda_so": _alameda_so,
}


def extract_of(source: str, frames: dict[str, pd.DataFrame], delivered_on: date = TODAY) -> Extract:
    """Map agency frames to an Extract as the reader does (CSV rows: header = line 1)."""
    cfg = SOURCES[source]
    tables = {}
    for name, frame in frames.items():
        frame = frame.copy()
        if "row_number" not in frame.columns:
            frame["row_number"] = range(2, len(frame) + 2)
        tables[name] = map_table(frame, cfg.tables[name], cfg.spec.table(name), f"{source}.{cfg.format}")
    return Extract(
        source=source,
        kind=cfg.kind,
        file=Path(f"{source}_20261116.{cfg.format}"),
        sha256="0" * 64,
        tables=tables,
        delivered_on=delivered_on,
    )


def run(source: str, frames: dict[str, pd.DataFrame], **kw) -> ValidationReport:
    return validate(extract_of(source, frames), SOURCES[source], today=kw.pop("today", TODAY), **kw)


def result(report: ValidationReport, rule_id: str):
    matches = [r for r in report.results if r.rule_id == rule_id]
    assert len(matches) == 1, f"{rule_id} reported {len(matches)} times"
    return matches[0]


# --- good data ------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", sorted(GOOD))
def test_good_delivery_passes_every_rule(source: str) -> None:
    report = run(source, GOOD[source](), recent_row_counts=[10, 8, 12])
    failed = [
        (r.rule_id, r.unexpected_count, r.row_numbers)
        for r in report.failures
        if r.rule_id != "delivery.row_count.in_recent_range"
    ]
    assert failed == []
    assert not report.quarantined
    # every rule of the kind was checked, each exactly once
    ids = [r.rule_id for r in report.results]
    assert len(ids) == len(set(ids))
    assert set(ids) == {r.rule_id for r in all_rules(SOURCES[source].kind)}


def test_rule_ids_are_stable_and_readable() -> None:
    ids = {r.rule_id: r.severity for k in KINDS for r in all_rules(k)}
    assert ids["probation_referrals.dob.parses"] == "blocking"
    assert ids["probation_referrals.referral_id.unique"] == "blocking"
    assert ids["probation_referrals.supervision_status.in_code_set"] == "blocking"
    assert ids["school_enrollments.days_absent.not_above_days_enrolled"] == "blocking"
    assert ids["school_enrollments.key.unique"] == "blocking"
    assert ids["arrests.charges.normalises"] == "warning"
    assert ids["arrests.charges.sb1322_minor"] == "warning"
    assert ids["arrests.dob.plausible_age"] == "warning"
    assert ids["welfare_referrals.record_id.on_clients_sheet"] == "blocking"
    assert ids["delivery.row_count.in_recent_range"] == "warning"
    for rule_id in ids:
        assert rule_id == rule_id.lower() and " " not in rule_id


# --- broken data: one rule each -------------------------------------------------------------------

Frames = dict[str, pd.DataFrame]


def setv(table: str, col: str, i: int, value) -> Callable[[Frames], None]:
    def mutate(frames: Frames) -> None:
        frames[table].loc[i, col] = value

    return mutate


def both(*mutations: Callable[[Frames], None]) -> Callable[[Frames], None]:
    def mutate(frames: Frames) -> None:
        for m in mutations:
            m(frames)

    return mutate


P, W, S, A = "probation_referrals", "welfare_referrals", "school_enrollments", "arrests"

BROKEN = [
    # (source, mutation, rule_id, severity, agency row numbers)
    ("probation", setv(P, "FIRST_NM", 1, ""), f"{P}.first_name.not_null", "blocking", (3,)),
    ("probation", setv(P, "REFERRAL_NO", 2, "R2024-0001"), f"{P}.referral_id.unique", "blocking", (2, 4)),
    ("probation", setv(P, "BIRTH_DT", 1, "13/45/2009"), f"{P}.dob.parses", "blocking", (3,)),
    ("probation", setv(P, "REFERRAL_DT", 3, "2025-08-01"), f"{P}.referral_date.parses", "blocking", (5,)),
    ("probation", setv(P, "REFERRAL_DT", 3, ""), f"{P}.referral_date.not_null", "blocking", (5,)),
    ("probation", setv(P, "GENDER", 0, "FEMME"), f"{P}.sex.in_code_set", "blocking", (2,)),
    ("probation", setv(P, "ETHNICITY", 2, "VIETNAMESE"), f"{P}.race.in_code_set", "blocking", (4,)),
    (
        "probation",
        setv(P, "SUPV_STATUS", 1, "DIVERSION"),
        f"{P}.supervision_status.in_code_set",
        "blocking",
        (3,),
    ),
    ("probation", setv(P, "PLCMT_TYPE", 0, "RANCH"), f"{P}.placement_type.in_code_set", "blocking", (2,)),
    (
        "probation",
        setv(P, "REFERRAL_DT", 2, "01/09/2027"),
        f"{P}.referral_date.not_in_future",
        "blocking",
        (4,),
    ),
    ("probation", setv(P, "PLCMT_END", 3, "12/31/2026"), f"{P}.placement_end.not_in_future", "warning", (5,)),
    (
        "probation",
        setv(P, "PLCMT_END", 0, "02/01/2024"),
        f"{P}.placement_end.not_before_placement_start",
        "warning",
        (2,),
    ),
    ("probation", setv(P, "BIRTH_DT", 2, "01/01/1900"), f"{P}.dob.placeholder", "warning", (4,)),
    ("probation", setv(P, "BIRTH_DT", 2, "05/05/1961"), f"{P}.dob.plausible_age", "warning", (4,)),
    ("probation", setv(P, "BIRTH_DT", 2, "05/05/2027"), f"{P}.dob.plausible_age", "warning", (4,)),
    (
        "social_services",
        setv(W, "Client ID", 1, "C-99999"),
        f"{W}.record_id.on_clients_sheet",
        "blocking",
        (3,),
    ),
    (
        "social_services",
        setv("welfare_placements", "Client ID", 0, "C-12345"),
        "welfare_placements.record_id.on_clients_sheet",
        "blocking",
        (2,),
    ),
    (
        "social_services",
        setv(W, "Disposition", 2, "Pending"),
        f"{W}.disposition.in_code_set",
        "blocking",
        (4,),
    ),
    (
        "social_services",
        setv("welfare_placements", "Placement Type", 1, "Kinship Hotel"),
        "welfare_placements.placement_type.in_code_set",
        "blocking",
        (3,),
    ),
    (
        "social_services",
        both(
            setv("welfare_clients", "Client ID", 2, "C-77001"),
            setv("welfare_placements", "Client ID", 1, "C-77001"),
        ),
        "welfare_clients.record_id.unique",
        "blocking",
        (4, 6),
    ),
    (
        "social_services",
        setv("welfare_clients", "Date of Birth", 0, datetime(1990, 1, 1)),
        "welfare_clients.dob.plausible_age",
        "warning",
        (4,),
    ),
    (
        "oakland_usd",
        setv(S, "DaysAbsent", 1, "65"),
        f"{S}.days_absent.not_above_days_enrolled",
        "blocking",
        (3,),
    ),
    ("oakland_usd", setv(S, "DaysAbsent", 0, "-2"), f"{S}.days_absent.not_negative", "blocking", (2,)),
    ("oakland_usd", setv(S, "DaysEnrolled", 2, "thirty"), f"{S}.days_enrolled.parses", "blocking", (4,)),
    (
        "oakland_usd",
        setv(S, "SchoolName", 2, "Fremont High"),
        f"{S}.key.unique",
        "blocking",
        (),
    ),  # rows differ
    (
        "oakland_usd",
        both(setv(S, "SchoolName", 2, "Fremont High"), setv(S, "EntryDate", 2, "2025-08-12")),
        f"{S}.key.unique",
        "blocking",
        (2, 4),
    ),
    (
        "oakland_usd",
        setv(S, "EntryDate", 1, "2026-12-01"),
        f"{S}.enroll_start.not_in_future",
        "warning",
        (3,),
    ),
    ("hayward_usd", setv(S, "Sex", 0, "Woman"), f"{S}.sex.in_code_set", "blocking", (3,)),
    (
        "hayward_usd",
        setv(S, "Days Absent", 1, 66),
        f"{S}.days_absent.not_above_days_enrolled",
        "blocking",
        (4,),
    ),
    ("oakland_pd", setv(A, "Charges", 2, "loitering"), f"{A}.charges.normalises", "warning", (4,)),
    (
        "oakland_pd",
        setv(A, "ArrestDateTime", 1, "06/02/2025 25:15"),
        f"{A}.arrest_datetime.parses",
        "blocking",
        (3,),
    ),
    (
        "oakland_pd",
        setv(A, "ArrestDateTime", 1, "06/02/2027 01:15"),
        f"{A}.arrest_datetime.not_in_future",
        "blocking",
        (3,),
    ),
    ("oakland_pd", setv(A, "BookingNumber", 1, ""), f"{A}.record_id.not_null", "blocking", (3,)),
    ("oakland_pd", setv(A, "DOB", 1, "02/02/1910"), f"{A}.dob.plausible_age", "warning", (3,)),
    # an 11-year-old booked in 2025: old enough for the 10..100 range, not for a booking since SB 439
    ("oakland_pd", setv(A, "DOB", 1, "02/02/2014"), f"{A}.dob.min_booking_age", "warning", (3,)),
    # a 17-year-old (DOB 2008-07-07, arrested 2025-10-30) charged under 647(b): SB 1322 flag
    ("oakland_pd", setv(A, "Charges", 2, "647(b) PC"), f"{A}.charges.sb1322_minor", "warning", (4,)),
    (
        "oakland_pd",
        both(setv(A, "Charges", 2, "P.C. 653.22(a)"), setv(A, "ArrestDateTime", 2, "10/30/2022 17:05")),
        f"{A}.charges.sb1322_minor",
        "warning",
        (4,),
    ),
    # an adult charged under 653.22 in 2025: SB 357
    ("oakland_pd", setv(A, "Charges", 1, "PC 653.22"), f"{A}.charges.sb357_repealed", "warning", (3,)),
    ("alameda_so", setv(A, "CHARGE_3", 1, "???"), f"{A}.charges.normalises", "warning", (3,)),
    ("oakland_pd", setv(A, "Charges", 2, "OMC 9.08"), f"{A}.charges.known_code", "warning", (4,)),
    ("alameda_so", setv(A, "CHARGE_2", 0, "9.08 OMC"), f"{A}.charges.known_code", "warning", (2,)),
    ("alameda_so", setv(A, "SUBJ_SEX", 0, "WOMAN"), f"{A}.sex.in_code_set", "blocking", (2,)),
    ("alameda_so", setv(A, "ARREST_TIME", 0, "2399"), f"{A}.arrest_datetime.parses", "blocking", (2,)),
    (
        "safetynet_clients",
        setv("clients", "CSEC Status", 0, "suspected"),
        "clients.csec_status.in_code_set",
        "blocking",
        (2,),
    ),
    (
        "safetynet_clients",
        setv("clients", "Referral Date", 1, "2027-01-01"),
        "clients.referral_date.not_in_future",
        "blocking",
        (3,),
    ),
    # a value outside a vocabulary is loaded as written and warned about with its row
    (
        "safetynet_clients",
        setv("clients", "Risk Factors", 1, "runaway|school truancy"),
        "clients.risk_factors.in_vocabulary",
        "warning",
        (3,),
    ),
    (
        "safetynet_clients",
        setv("client_services", "Service", 1, "yoga"),
        "client_services.service.in_vocabulary",
        "warning",
        (3,),
    ),
    (
        "safetynet_clients",
        setv("client_services", "Provider", 0, "Acme Youth Inc"),
        "client_services.provider.in_vocabulary",
        "warning",
        (2,),
    ),
    (
        "safetynet_clients",
        setv("client_residences", "State", 0, "Nevada"),
        "client_residences.state.in_vocabulary",
        "warning",
        (2,),
    ),
    # the Las Vegas residence without its end date runs on into the Oakland one: both rows listed
    (
        "safetynet_clients",
        setv("client_residences", "To", 0, ""),
        "client_residences.start_date.no_overlap",
        "warning",
        (2, 3),
    ),
    (
        "safetynet_clients",
        setv("client_services", "Client ID", 1, "SN-0999"),
        "client_services.record_id.on_clients_sheet",
        "blocking",
        (3,),
    ),
    # a second episode that begins before the first one ended (ending on the day it begins is fine)
    (
        "social_services",
        lambda frames: frames.update(
            welfare_placements=pd.concat(
                [
                    frames["welfare_placements"],
                    pd.DataFrame(
                        {
                            "Episode ID": ["EP-503", "EP-504"],
                            "Client ID": ["C-77001", "C-77001"],
                            "Placement Type": ["Group Home", "STRTP"],
                            "Start Date": [datetime(2024, 1, 31), datetime(2023, 12, 1)],
                            "End Date": [datetime(2024, 6, 30), datetime(2024, 1, 10)],
                            "row_number": [4, 5],
                        }
                    ),
                ],
                ignore_index=True,
            )
        ),
        "welfare_placements.start_date.no_overlap",
        "warning",
        (2, 5),
    ),
]


@pytest.mark.parametrize(
    ("source", "mutate", "rule_id", "severity", "rows"),
    BROKEN,
    ids=[f"{b[2]}-{i}" for i, b in enumerate(BROKEN)],
)
def test_broken_delivery_fails_the_right_rule(source, mutate, rule_id, severity, rows) -> None:
    frames = GOOD[source]()
    mutate(frames)
    report = run(source, frames)
    r = result(report, rule_id)
    assert r.severity == severity
    if not rows:  # a mutation that must *not* trip the rule
        assert r.success, r
        return
    assert not r.success
    assert r.row_numbers == rows
    assert r.unexpected_count == len(rows)
    assert r.description and r.how_to_fix
    assert report.quarantined == (severity == "blocking")
    # nothing else failed: each broken case breaks one rule only
    others = [x.rule_id for x in report.failures if x.rule_id != rule_id]
    assert others == []


def test_unparseable_required_date_is_not_also_reported_empty() -> None:
    frames = _probation()
    frames[P].loc[1, "REFERRAL_DT"] = "someday"
    report = run("probation", frames)
    assert not result(report, f"{P}.referral_date.parses").success
    assert result(report, f"{P}.referral_date.not_null").success


def test_children_of_placeholder_dob_are_not_flagged_for_age_or_sb1322() -> None:
    frames = _oakland_pd()
    frames[A].loc[0, "DOB"] = "01/01/1900"
    report = run("oakland_pd", frames)
    assert result(report, f"{A}.dob.placeholder").row_numbers == (2,)
    assert result(report, f"{A}.dob.plausible_age").success
    assert result(report, f"{A}.charges.sb1322_minor").success  # age unknown: no flag


@pytest.mark.parametrize(
    ("dob", "when", "charge", "flag"),
    [
        ("07/07/2008", "10/30/2025 17:05", "647(b) PC", True),  # 17 in 2025
        ("07/07/2008", "07/07/2026 09:00", "647(b) PC", False),  # 18th birthday: adult
        ("07/07/2000", "12/31/2016 23:00", "647(b) PC", False),  # minor, but before SB 1322
        ("07/07/2000", "01/01/2017 00:30", "PC647B", True),  # first day of SB 1322
        ("07/07/2008", "10/30/2025 17:05", "VC 647", False),  # not the Penal Code
    ],
)
def test_sb1322_flag_boundaries(dob: str, when: str, charge: str, flag: bool) -> None:
    frames = _oakland_pd()
    frames[A].loc[2, ["DOB", "ArrestDateTime", "Charges"]] = [dob, when, charge]
    report = run("oakland_pd", frames)
    assert result(report, f"{A}.charges.sb1322_minor").success is not flag


@pytest.mark.parametrize(("when", "flag"), [("12/31/2022 23:59", False), ("01/01/2023 00:01", True)])
def test_sb357_applies_from_2023(when: str, flag: bool) -> None:
    frames = _oakland_pd()
    frames[A].loc[1, ["ArrestDateTime", "Charges"]] = [when, "653.22 PC"]
    report = run("oakland_pd", frames)
    assert result(report, f"{A}.charges.sb357_repealed").success is not flag


# --- table-level rules ----------------------------------------------------------------------------


def test_missing_column_is_reported_once_and_blocks() -> None:
    ex = extract_of("probation", _probation())
    ex.tables[P] = ex.tables[P].drop(columns=["referral_date"])
    report = validate(ex, SOURCES["probation"], today=TODAY)
    assert not result(report, f"{P}.referral_date.present").success
    assert report.quarantined
    assert [r.rule_id for r in report.failures] == [f"{P}.referral_date.present"]
    assert "'REFERRAL_DT'" in result(report, f"{P}.referral_date.present").description


def test_missing_table_blocks() -> None:
    ex = extract_of("social_services", _social_services())
    del ex.tables["welfare_placements"]
    report = validate(ex, SOURCES["social_services"], today=TODAY)
    r = result(report, "welfare_placements.present")
    assert not r.success and r.severity == "blocking" and report.quarantined
    assert "sheet 'Placements'" in r.description


def test_empty_person_table_blocks_but_empty_side_sheet_warns() -> None:
    frames = _probation()
    frames[P] = frames[P].iloc[0:0]
    report = run("probation", frames)
    assert not result(report, f"{P}.has_rows").success and report.quarantined

    frames = _social_services()
    frames["welfare_placements"] = frames["welfare_placements"].iloc[0:0]
    report = run("social_services", frames)
    r = result(report, "welfare_placements.has_rows")
    assert not r.success and r.severity == "warning" and not report.quarantined


@pytest.mark.parametrize(
    ("recent", "ok"),
    [
        ([4, 4, 5], True),  # 4 rows, median 4
        ([8, 8, 9], True),  # exactly 50% of the median
        ([10, 9, 12], False),  # fewer than half
        ([1, 1, 2], False),  # more than 3x
    ],
)
def test_row_count_band(recent: list[int], ok: bool) -> None:
    report = run("probation", _probation(), recent_row_counts=recent)
    r = result(report, "delivery.row_count.in_recent_range")
    assert r.success is ok and r.severity == "warning"
    assert not report.quarantined


def test_row_count_rule_needs_history() -> None:
    report = run("probation", _probation(), recent_row_counts=[])
    assert "delivery.row_count.in_recent_range" not in {r.rule_id for r in report.results}


def test_row_numbers_are_the_agencys_and_capped() -> None:
    n = MAX_ROW_NUMBERS + 50
    base = _probation()[P]
    frame = pd.concat([base.iloc[[0]]] * n, ignore_index=True)
    frame["REFERRAL_NO"] = [f"R-{i}" for i in range(n)]
    frame["GENDER"] = "FEMME"
    frame["row_number"] = range(10, 10 + 2 * n, 2)  # e.g. blank lines in between
    report = run("probation", {P: frame})
    r = result(report, f"{P}.sex.in_code_set")
    assert r.unexpected_count == n
    assert r.row_numbers == tuple(range(10, 10 + 2 * MAX_ROW_NUMBERS, 2))


def test_quarantine_only_on_blocking_failures() -> None:
    frames = _oakland_pd()
    frames[A].loc[2, "Charges"] = "loitering"  # warning
    report = run("oakland_pd", frames)
    assert report.failures and not report.quarantined and report.rows_failing_blocking == 0
    frames[A].loc[0, "Sex"] = "Z"  # blocking
    report = run("oakland_pd", frames)
    assert report.quarantined and report.rows_failing_blocking == 1
    assert report.to_dict()["quarantined"] is True


def test_reader_error_report_is_one_blocking_rule() -> None:
    err = ExtractError(
        "probation_youth_20261116.csv",
        "schema.missing_columns",
        "column(s) missing: BIRTH_DT.",
        "Deliver every column of the agreed layout.",
    )
    report = reader_error_report("probation", "probation_youth_20261116.csv", err)
    assert report.quarantined
    (r,) = report.results
    assert (r.rule_id, r.severity, r.success) == ("schema.missing_columns", "blocking", False)
    assert r.how_to_fix == "Deliver every column of the agreed layout."
    assert report.to_dict()["file_name"] == "probation_youth_20261116.csv"


def test_descriptions_use_the_agency_headers() -> None:
    frames = _social_services()
    frames[W].loc[0, "Disposition"] = "Pending"
    r = result(run("social_services", frames), f"{W}.disposition.in_code_set")
    assert "'Disposition' (sheet 'Referrals')" in r.description
    assert "Substantiated" in r.description  # the agreed codes as the agency writes them
    frames = _probation()
    frames[P].loc[0, "BIRTH_DT"] = "2010-03-14"
    r = result(run("probation", frames), f"{P}.dob.parses")
    assert "MM/DD/YYYY" in r.how_to_fix


# --- privacy --------------------------------------------------------------------------------------


#: the rule catalogue's own words (statute citations such as 'PC 653.22', thresholds, dates of laws)
CATALOGUE = " ".join(r.description + " " + r.how_to_fix for k in KINDS for r in all_rules(k))


def _config_vocabulary() -> set[str]:
    """Words the configuration puts into rule texts (agreed codes): not cell data."""
    words: set[str] = set()
    for cfg in SOURCES.values():
        for mapping in cfg.tables.values():
            for m in mapping.values.values():
                words |= set(m) | set(m.values())
    for k in KINDS.values():
        for t in k.tables:
            for c in t.columns:
                words |= set(c.codes or ())
                words |= set(vocabulary(c.vocabulary).codes if c.vocabulary else ())
    return words


def _strings(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)] + [s for k in obj for s in _strings(k)]
    if isinstance(obj, (list, tuple)):
        return [s for v in obj for s in _strings(v)]
    return []


def _cell_texts(frames: Frames, extract: Extract) -> set[str]:
    texts: set[str] = set()
    for frame in [*frames.values(), *extract.tables.values()]:
        for col in frame.columns:
            if col == "row_number":
                continue
            for v in frame[col].dropna():
                if isinstance(v, (datetime, pd.Timestamp)):
                    texts |= {str(v), v.strftime("%Y-%m-%d"), v.strftime("%m/%d/%Y")}
                else:
                    texts.add(str(v))
                    texts |= {p for p in str(v).split("|")}
    vocab = _config_vocabulary()
    # short or small-number strings ("F", "10") cannot be told apart from counts and codes
    return {
        t
        for t in texts
        if len(t) >= 3 and t not in vocab and t not in CATALOGUE and not (t.isdigit() and len(t) <= 3)
    }


def _break_everything(source: str) -> Frames:
    frames = GOOD[source]()
    for i, (src, mutate, *_rest) in enumerate(BROKEN):
        if src == source and i % 2 == 0:
            mutate(frames)
    return frames


@pytest.mark.parametrize("source", sorted(GOOD))
def test_report_never_contains_a_cell_value(source: str) -> None:
    frames = _break_everything(source)
    extract = extract_of(source, frames)
    report = validate(extract, SOURCES[source], recent_row_counts=[100], today=TODAY)
    assert report.failures  # the scan below must look at failing results too
    out = report.to_dict()
    text = "\n".join(_strings(out))
    leaked = sorted(v for v in _cell_texts(frames, extract) if v in text)
    assert leaked == []
    row_numbers = {int(n) for t in extract.tables.values() for n in t["row_number"]}
    for r in out["results"]:
        assert set(r["row_numbers"]) <= row_numbers
        assert set(r) == {
            "rule_id",
            "description",
            "severity",
            "success",
            "table",
            "column",
            "unexpected_count",
            "row_numbers",
            "how_to_fix",
        }


def test_gx_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    frames = _probation()
    frames[P].loc[0, "GENDER"] = "FEMME"
    run("probation", frames)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_importing_expectations_does_not_import_gx() -> None:
    code = "import sys, expectations; print('great_expectations' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "False"


# --- the seeded generator's clean output ------------------------------------------------------------


def test_generated_deliveries_pass_blocking_rules(generated) -> None:
    from integrations.readers import read_extract

    for name, path in sorted(generated.files.items()):
        extract = read_extract(path, SOURCES[name])
        report = validate(extract, SOURCES[name], today=generated.as_of)
        blocking = [(r.rule_id, r.unexpected_count, r.row_numbers[:5]) for r in report.blocking_failures]
        assert blocking == [], f"{name}: {blocking}"


def test_gx_never_receives_names_or_ids() -> None:
    """What GX is handed: codes, flags and numbers, no text of the delivery (see derived.encode_for_gx)."""
    from expectations import derived
    from expectations.suites import table_suite
    from expectations.validation import _work_frame
    from integrations.kinds import kind

    frames = _probation()
    extract = extract_of("probation", frames)
    table = kind("probation").table(P)
    ts = table_suite("probation", P)
    ctx = derived.RunContext(today=TODAY, as_of=TODAY, kind="probation", tables=extract.tables)
    work = derived.add_helpers(_work_frame(extract.tables[P], table), ts.helpers, ctx)
    gx_frame = derived.encode_for_gx(work[list(ts.columns)], table)
    assert "address" not in gx_frame.columns and "aliases" not in gx_frame.columns
    coded = {c.name for c in table.columns if c.codes}
    for name in gx_frame.columns:
        col = gx_frame[name]
        if name in coded:
            assert isinstance(col.dtype, pd.CategoricalDtype)
            assert set(col.cat.categories) <= set(table.column(name).codes)
        else:
            assert not pd.api.types.is_object_dtype(col.dtype), name
            assert not pd.api.types.is_string_dtype(col.dtype), name


def test_warm_up_builds_every_suite() -> None:
    from expectations import warm_up
    from expectations.suites import table_suite

    warm_up()
    for name, spec in KINDS.items():
        for t in spec.tables:
            assert table_suite(name, t.name).suite.expectations


# --- each rule on the generator's output: the clean file passes it, one edited cell fails it -------


def _csv_rows(path: Path, encoding: str) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def _write_rows(path: Path, rows: list[list[str]], encoding: str) -> None:
    import csv
    import io

    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _minor_dob(arrest: str, fmt: str, age: int = 15) -> str:
    """A date of birth making the person ``age`` at the arrest, in the agency's date layout."""
    when = (
        datetime.strptime(arrest[:10], "%m/%d/%Y")
        if "/" in arrest
        else datetime.strptime(arrest[:8], "%Y%m%d")
    )
    return when.replace(year=when.year - age).strftime(fmt)


GENERATED_CASES = [
    # (source, {agency column: new value or callable(row, header) -> value}, rule id, severity)
    ("probation", {"BIRTH_DT": "13/45/2024"}, "probation_referrals.dob.parses", "blocking"),
    ("probation", {"GENDER": "WOMAN"}, "probation_referrals.sex.in_code_set", "blocking"),
    ("probation", {"ETHNICITY": "MARTIAN"}, "probation_referrals.race.in_code_set", "blocking"),
    (
        "probation",
        {"SUPV_STATUS": "ON HOLD"},
        "probation_referrals.supervision_status.in_code_set",
        "blocking",
    ),
    (
        "probation",
        {"REFERRAL_DT": "01/01/2031"},
        "probation_referrals.referral_date.not_in_future",
        "blocking",
    ),
    ("probation", {"YOUTH_ID": ""}, "probation_referrals.record_id.not_null", "blocking"),
    ("probation", {"BIRTH_DT": "01/01/1900"}, "probation_referrals.dob.placeholder", "warning"),
    (
        "oakland_usd",
        {"DaysAbsent": "999"},
        "school_enrollments.days_absent.not_above_days_enrolled",
        "blocking",
    ),
    ("oakland_usd", {"DaysEnrolled": "-3"}, "school_enrollments.days_enrolled.not_negative", "blocking"),
    ("oakland_usd", {"BirthDate": "2025-01-01"}, "school_enrollments.dob.plausible_age", "warning"),
    ("oakland_usd", {"EntryDate": "yesterday"}, "school_enrollments.enroll_start.parses", "blocking"),
    ("oakland_pd", {"Charges": "OMC 9.08"}, "arrests.charges.known_code", "warning"),
    ("oakland_pd", {"Charges": "loitering"}, "arrests.charges.normalises", "warning"),
    ("oakland_pd", {"Sex": "Q"}, "arrests.sex.in_code_set", "blocking"),
    (
        "oakland_pd",
        {
            "Charges": "647(b) PC",
            "DOB": lambda row, h: _minor_dob(row[h.index("ArrestDateTime")], "%m/%d/%Y"),
        },
        "arrests.charges.sb1322_minor",
        "warning",
    ),
    (
        "alameda_so",
        # booked after SB 357 (2023): the fifth row of the generated log may be from 2022
        {"CHARGE_1": "PC 653.22", "SUBJ_DOB": "19800101", "ARREST_DATE": "20240115"},
        "arrests.charges.sb357_repealed",
        "warning",
    ),
    (
        "oakland_pd",
        {"DOB": lambda row, h: _minor_dob(row[h.index("ArrestDateTime")], "%m/%d/%Y", age=11)},
        "arrests.dob.min_booking_age",
        "warning",
    ),
]


@pytest.mark.parametrize(
    ("source", "edits", "rule_id", "severity"), GENERATED_CASES, ids=[c[2] for c in GENERATED_CASES]
)
def test_each_rule_on_generated_output(generated, tmp_path, source, edits, rule_id, severity) -> None:
    from integrations.readers import read_extract

    config = SOURCES[source]
    path = generated.files[source]
    clean = validate(read_extract(path, config), config, today=generated.as_of)
    before = result(clean, rule_id)
    rows = _csv_rows(path, config.encoding)
    header, k = rows[0], 5  # the fifth data row; generated CSVs have one line per record
    line = k + 1  # physical line (header = line 1)
    assert line not in before.row_numbers
    for column, value in edits.items():
        rows[k][header.index(column)] = value(rows[k], header) if callable(value) else value
    edited = tmp_path / path.name
    _write_rows(edited, rows, config.encoding)
    report = validate(read_extract(edited, config), config, today=generated.as_of)
    r = result(report, rule_id)
    assert r.severity == severity and not r.success
    assert line in r.row_numbers
    assert set(r.row_numbers) - set(before.row_numbers) == {line}
    assert report.quarantined == (severity == "blocking" or clean.quarantined)


def test_row_count_band_on_generated_output(generated) -> None:
    from integrations.readers import read_extract

    config = SOURCES["probation"]
    extract = read_extract(generated.files["probation"], config)
    n = extract.rows_read
    ok = validate(extract, config, recent_row_counts=[n, n + 10, n - 10], today=generated.as_of)
    assert result(ok, "delivery.row_count.in_recent_range").success
    # a file with a tenth of the usual rows is suspicious (a warning: the rows still load)
    low = validate(extract, config, recent_row_counts=[10 * n, 10 * n], today=generated.as_of)
    r = result(low, "delivery.row_count.in_recent_range")
    assert not r.success and r.severity == "warning" and not low.quarantined
    assert f"{n:,} rows" in r.description


def test_duplicate_ids_on_generated_output(generated, tmp_path) -> None:
    from integrations.readers import read_extract
    from synthetic import broken

    config = SOURCES["oakland_pd"]
    src = generated.files["oakland_pd"]
    dup = broken.csv_duplicate_ids(src, tmp_path / src.name, n=2)
    report = validate(read_extract(dup, config), config, today=generated.as_of)
    r = result(report, "arrests.record_id.unique")
    n = len(_csv_rows(src, config.encoding))
    assert not r.success and r.row_numbers == (2, 3, n + 1, n + 2) and report.quarantined
