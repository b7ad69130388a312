"""The top of each youth's page in the packet: where she is, whether it is stable, which agencies were
last in touch, risk chips that agree with the summary, open review items, out-of-date sources.

On the hand-made youth of tests/outcomes_data.py, read as of their meeting; the HTML is parsed, not
searched as text, so a line counts only where the reader sees it.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from expectations.report import RuleResult, ValidationReport
from packets.build import build_packet
from packets.front import front_summary, risk_chips
from tests.outcomes_data import AS_OF, build_outcomes_warehouse
from tests.warehouse_data import extract, links, record
from warehouse import Warehouse
from warehouse.measures import client_measures
from warehouse.profiles import facts_as_of

MEETING = date(2026, 10, 8)  # A1's next meeting on the list


class _Blocks(HTMLParser):
    """Text of each youth section by element class: {youth heading: {class: [texts]}}."""

    def __init__(self) -> None:
        super().__init__()
        self.youth: dict[str, dict[str, list[str]]] = {}
        self.cover: dict[str, list[str]] = {}
        self._stack: list[tuple[str, str]] = []
        self._current: dict[str, list[str]] | None = None
        self._heading: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        cls = dict(attrs).get("id") or dict(attrs).get("class") or ""
        if tag == "section" and cls == "youth":
            self._current, self._heading = {}, ""
        if tag == "h2" and self._current is not None:
            self._heading = ""
        self._stack.append((tag, cls))
        target = self._current if self._current is not None else self.cover
        if cls:
            target.setdefault(cls, []).append("")

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            t, _ = self._stack.pop()
            if t == tag:
                break
        if tag == "h2" and self._current is not None:
            self.youth[self._heading.strip()] = self._current
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None and any(t == "h2" for t, _ in self._stack):
            self._heading += data
        target = self._current if self._current is not None else self.cover
        for _, cls in self._stack:
            if cls:
                target[cls][-1] += data


def _parse(path: Path) -> _Blocks:
    parser = _Blocks()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture
def outcomes(warehouse_url: str):
    wh = build_outcomes_warehouse(warehouse_url)
    yield wh
    wh.dispose()


def test_whereabouts_stability_and_last_contact_measures(outcomes: Warehouse) -> None:
    m = client_measures(facts_as_of(outcomes.engine, AS_OF))
    a1, b2, c3 = m["A1"], m["B2"], m["C3"]
    # A1: a foster home since June 2025 with no end date (an open episode): she is there now
    assert a1["placement_now"] == {
        "system": "social_services",
        "type": "foster_home",
        "facility": None,
        "start": date(2025, 6, 1),
    }
    assert (a1["living_since"], a1["moves_past_year"], a1["last_move"]) == (
        date(2025, 6, 1),
        1,  # Hayward, January 2026 (a residence on the list while in foster care: counted as a move)
        date(2026, 1, 15),
    )
    assert a1["placement_stable"] is True
    assert a1["last_contact_by_agency"] == {
        "oakland_pd": {"on": date(2026, 9, 1), "ongoing": False},  # booked as an adult
        "social_services": {"on": date(2026, 8, 2), "ongoing": True},  # the allegation; placement open
    }
    # B2: back from camp on 20 August, no dated residence: where she lives is the list's city, undated
    assert b2["placement_now"] is None and b2["living_since"] is None
    assert (b2["moves_past_year"], b2["last_move"], b2["placement_stable"]) == (2, date(2026, 8, 20), None)
    assert b2["last_contact_by_agency"]["probation"] == {"on": date(2026, 8, 20), "ongoing": False}
    # C3: a transfer (group home -> STRTP on one day) is one move; 61 days in the STRTP: not stable
    assert c3["placement_now"]["type"] == "str_tp" and c3["living_since"] == date(2026, 7, 31)
    assert (c3["moves_past_year"], c3["placement_stable"]) == (2, False)
    assert c3["last_contact_by_agency"]["oakland_usd"] == {"on": date(2026, 8, 11), "ongoing": True}


def test_front_summary_says_where_how_stable_and_who(outcomes: Warehouse) -> None:
    m = client_measures(facts_as_of(outcomes.engine, AS_OF))
    names = {"oakland_pd": "Oakland PD", "social_services": "SSA", "oakland_usd": "OUSD", "probation": "Prob"}
    a1 = front_summary(m["A1"], names.get)
    assert a1.startswith("In custody: foster home (Social Services placement) since 2025-06-01.")
    assert "Placement stable: yes (1 move in the past year, the latest on 2026-01-15)." in a1
    assert a1.endswith("Last in touch: Oakland PD (2026-09-01); SSA (2026-08-02, open now).")
    c3 = front_summary(m["C3"], names.get)
    assert "Placement stable: no (2 moves in the past year, the latest on 2026-07-31;" in c3
    b2 = front_summary(m["B2"], names.get)
    assert b2.startswith("Lives in Oakland, Alameda County.") and "stability: not known" in b2


def test_chronic_absence_chip_agrees_with_the_summary() -> None:
    base = {
        "risk_factors": ["runaway", "chronic_absence"],
        "risk_factors_listed": ["runaway", "chronic_absence"],
    }
    from packets.sections import SUMMARY

    line = dict(SUMMARY)["Chronic absence (any enrolment)"]
    # the list names it, the school records do not show it: both places say so
    m = {**base, "chronic_absence": False, "school_count": 2}
    assert line(m) == "no (school records); named on the client list"
    assert risk_chips(m)[1] == ("Chronic absence from school", "client list; not in school records")
    # school records show it, the list does not name it: the chip says where it comes from
    m = {
        "risk_factors": ["chronic_absence"],
        "risk_factors_listed": [],
        "chronic_absence": True,
        "school_count": 1,
    }
    assert line(m) == "yes (school records)" and risk_chips(m) == [
        ("Chronic absence from school", "school records")
    ]
    # both say so: no note needed
    m = {**base, "chronic_absence": True, "school_count": 1}
    assert risk_chips(m)[1] == ("Chronic absence from school", "")
    # no enrolment on record at all: not "no"
    m = {**base, "chronic_absence": False, "school_count": 0}
    assert line(m) == "no school records; named on the client list"
    assert risk_chips(m)[1][1] == "client list"


def _possible_row_for_a1(wh: Warehouse) -> None:
    """A Hayward enrolment that may be A1's, waiting in the review queue."""
    row = {"record_id": "H-9", "first_name": "Amara", "last_name": "Quil", "dob": "2008-08-15"}
    ex = extract(
        "hayward_usd",
        "school_district",
        {
            "school_enrollments": [
                dict(row, school="Tennyson High", school_year="2026-27", enroll_start="2026-08-12")
            ]
        },
    )
    ex = dataclasses.replace(ex, delivered_on=date(2026, 10, 6))
    wh.load_delivery(record(wh, ex), ex, links(("H-9", "A1", 0.8, "review")))


def _quarantined_probation_file(wh: Warehouse) -> None:
    ex = extract("probation", "probation", {"probation_referrals": []}, tag="bad")
    ex = dataclasses.replace(ex, delivered_on=date(2026, 10, 5))
    failed = RuleResult(
        "probation_referrals.dob.parses", "DOB is a date", "blocking", False, unexpected_count=1
    )
    record(wh, ex, ValidationReport("probation", ex.file.name, 1, [failed]))


def test_packet_front_review_items_and_stale_sources(outcomes: Warehouse, tmp_path: Path) -> None:
    _possible_row_for_a1(outcomes)
    _quarantined_probation_file(outcomes)
    # built on 2026-10-30: Oakland PD (weekly, last 1 October) is overdue; Probation's latest file
    # was quarantined; the social services file of 1 October too is overdue by then
    packet = build_packet(outcomes.engine, MEETING, tmp_path, pdf=False, today=date(2026, 10, 30))
    assert packet.client_ids == ["A1"]
    page = _parse(tmp_path / "packet_2026-10-08.html")
    (heading,) = page.youth
    a1 = page.youth[heading]
    assert "Amara" in heading
    (front,) = a1["front"]
    assert front.startswith("In custody: foster home (Social Services placement) since 2025-06-01.")
    assert packet.youth[0].review_waiting == 1
    (waiting,) = a1["review-rows"]
    assert "Hayward Unified School District: 1 row waits in the review queue" in waiting
    stale = " ".join(a1["stale"])
    assert "Oakland Police Department" in stale and "overdue (last delivery 2026-10-01" in stale
    # Probation holds nothing of A1: its quarantined file is on the cover, not on her page
    assert "Probation" not in stale
    cover = " ".join(page.cover["stale-sources"])
    assert "Alameda County Probation Department: its latest file (2026-10-05) failed its checks" in cover
    # her tables under the parts of the profile named once per table (integrations/kinds.py)
    assert a1["part"] == ["SafetyNet", "Probation", "Social Services", "Arrests", "Education"]
    # the chips and the summary: A1's school records hold nothing, the list names no chronic absence
    assert "Chronic absence" not in " ".join(a1["chips"])
    wb = load_workbook(tmp_path / "packet_2026-10-08.xlsx")
    header = [c.value for c in wb["Agenda"][1]]
    row = dict(zip(header, [c.value for c in wb["Agenda"][2]], strict=True))
    assert row["Where now, stability, last in touch"] == front
    assert "review queue" in row["Open review items"] and "overdue" in row["Sources out of date"]


def test_no_review_box_or_stale_box_when_all_is_current(outcomes: Warehouse, tmp_path: Path) -> None:
    from integrations.config import load_sources

    delivered = {"safetynet_clients", "oakland_pd", "social_services", "probation", "oakland_usd"}
    sources = {k: v for k, v in load_sources().items() if k in delivered}
    packet = build_packet(
        outcomes.engine, MEETING, tmp_path, pdf=False, today=date(2026, 10, 2), sources=sources
    )
    assert packet.stale == [] and packet.youth[0].review_rows == [] and packet.youth[0].stale == []
    page = _parse(tmp_path / "packet_2026-10-08.html")
    a1 = next(iter(page.youth.values()))
    assert "attention" not in a1 and "stale-sources" not in page.cover


def _sheriff_booking(wh: Warehouse, record_id: str, client_id: str, decision: str) -> None:
    """A Sheriff's booking delivered on 20 September, before the youth's last meeting (1 October)."""
    row = {"record_id": record_id, "first_name": "Amara", "last_name": "Quill", "dob": "2008-08-15"}
    ex = extract("alameda_so", "arrest_log", {"arrests": [dict(row, arrest_datetime="2026-09-12 22:00")]})
    ex = dataclasses.replace(ex, delivered_on=date(2026, 9, 20))
    wh.load_delivery(
        record(wh, ex), ex, links((record_id, client_id, 0.99 if decision == "match" else 0.8, decision))
    )


def _rows_of(packet, table: str) -> list[str]:
    return [r["change"] for y in packet.youth for s in y.sections if s.table == table for r in s.rows]


def test_a_first_profile_marks_every_source_new_the_sheriffs_too(outcomes: Warehouse, tmp_path: Path) -> None:
    # D4 joins the list on 5 October for the meeting of the 8th; the Sheriff delivered her booking
    # on 20 September, before her "last meeting" (a week earlier): still new to the table
    newcomer = {
        "record_id": "D4",
        "first_name": "Dana",
        "last_name": "Vale",
        "dob": "2010-02-02",
        "referral_date": "2026-09-01",
        "next_meeting": "2026-10-08",
    }
    from tests.outcomes_data import CLIENTS as LISTED

    ex = extract("safetynet_clients", "safetynet_clients", {"clients": [*LISTED, newcomer]}, tag="d4")
    ex = dataclasses.replace(ex, delivered_on=date(2026, 10, 5))
    outcomes.load_clients(record(outcomes, ex), ex)
    _sheriff_booking(outcomes, "SO-1", "D4", "match")
    packet = build_packet(outcomes.engine, MEETING, tmp_path, pdf=False, today=MEETING)
    d4 = next(y for y in packet.youth if y.client_id == "D4")
    assert d4.changes[0].startswith("First profile: not on the list at the last meeting (everything")
    assert all(r["change"] == "new" for s in d4.sections for r in s.rows)
    sheriff = [r for s in d4.sections if s.table == "arrests" for r in s.rows]
    assert [r["change"] for r in sheriff] == ["new"] and "Sheriff" in sheriff[0]["cells"][-2]


def test_a_row_linked_by_a_reviewer_since_the_last_meeting_is_new(
    outcomes: Warehouse, tmp_path: Path
) -> None:
    from warehouse.decisions import decide

    _sheriff_booking(outcomes, "SO-2", "A1", "review")  # delivered before her last meeting, held in review
    before = build_packet(outcomes.engine, MEETING, tmp_path, pdf=False, today=MEETING)
    assert "Sheriff" not in " ".join(r["cells"][-2] for s in before.youth[0].sections for r in s.rows)
    decide(outcomes.engine, source="alameda_so", record_id="SO-2", client_id="A1", decision="same_person",
           decided_by="cora")  # fmt: skip
    packet = build_packet(outcomes.engine, MEETING, tmp_path, pdf=False, today=MEETING)
    arrests = next(s for s in packet.youth[0].sections if s.table == "arrests")
    changes = {r["cells"][-2]: r["change"] for r in arrests.rows}
    assert changes["Alameda County Sheriff's Office - Records"] == "new"
    assert changes["Oakland Police Department - Records Division"] == ""  # delivered before, linked before
    assert "Arrests (bookings): 1 new" in packet.youth[0].changes
    assert any(c.startswith("Arrests: 2 (") and c.count("->") == 1 for c in packet.youth[0].changes)
