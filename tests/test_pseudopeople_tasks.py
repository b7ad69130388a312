"""benchmarks/pseudopeople_tasks.py: pseudopeople's columns into our canonical person schema."""

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from integrations.kinds import PERSON_FIELDS, RACE_CODES, SEX_CODES

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "pseudopeople_tasks.py"
_spec = importlib.util.spec_from_file_location("pseudopeople_tasks", _PATH)
tasks = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = tasks  # its dataclasses look their module up there
_spec.loader.exec_module(tasks)


@pytest.mark.parametrize(
    ("layout", "raw", "iso"),
    [
        ("MM/DD/YYYY", "05/06/1994", "1994-05-06"),
        ("MM/DD/YYYY", "13/45/2001", "2001-13-45"),  # noise kept, moved into ISO order
        ("MM/DD/YYYY", "05061994", "05061994"),  # another shape passes through
        ("MMDDYYYY", "12042018", "2018-12-04"),
        ("MMDDYYYY", "1O20201", "1O20201"),
        ("YYYYMMDD", "19191204", "1919-12-04"),
        ("YYYYMMDD", None, ""),
    ],
)
def test_dob_layouts(layout, raw, iso):
    assert tasks._dob(pd.Series([raw], dtype=object), layout).tolist() == [iso]


def test_household_survey_row_in_canonical_schema():
    row = pd.DataFrame(
        {
            "simulant_id": ["0_3"],
            "first_name": ["Anna"],
            "middle_initial": ["A"],
            "last_name": ["Kofron"],
            "date_of_birth": ["09/29/1994"],
            "sex": ["Female"],
            "race_ethnicity": ["Latino"],
            "street_number": ["5112"],
            "street_name": ["145th st"],
            "unit_number": [None],
            "city": ["Anytown"],
            "zipcode": ["00000"],
        }
    )
    out = tasks.persons_from_household_survey(row, "MM/DD/YYYY")
    assert list(out.columns) == ["simulant_id", *PERSON_FIELDS]
    assert out.iloc[0].to_dict() == {
        "simulant_id": "0_3",
        "first_name": "Anna",
        "middle_name": "A",
        "last_name": "Kofron",
        "aliases": "",
        "dob": "1994-09-29",
        "sex": "F",
        "race": "Hispanic",
        "address": "5112 145th st",
        "city": "Anytown",
        "zip": "00000",
    }


def test_w2_row_uses_po_box_when_given_and_has_no_dob():
    forms = pd.DataFrame(
        {
            "simulant_id": ["0_4", "0_5"],
            "first_name": ["Eric", "Erin"],
            "middle_initial": ["R", None],
            "last_name": ["Alonso Tellez", "Alonso Tellez"],
            "mailing_address_street_number": ["1501", None],
            "mailing_address_street_name": ["interlake ave n", None],
            "mailing_address_unit_number": [None, None],
            "mailing_address_po_box": [None, "14011"],
            "mailing_address_city": ["Anytown", "Anytown"],
            "mailing_address_zipcode": ["00000", "00000"],
        }
    )
    out = tasks.persons_from_w2_1099(forms)
    assert out["address"].tolist() == ["1501 interlake ave n", "po box 14011"]
    assert out["middle_name"].tolist() == ["R", ""]
    assert (out[["dob", "sex", "race"]] == "").all().all()


def test_codes_are_ours():
    assert set(tasks.SEX.values()) <= set(SEX_CODES)
    assert set(tasks.RACE.values()) <= set(RACE_CODES)
