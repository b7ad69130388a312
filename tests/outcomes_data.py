"""Three hand-made youth for the outcome measures, each with the edge cases the measures must get right.

Read as of ``AS_OF`` (the last day of ``QUARTER``, 1 July - 30 September 2026):

- ``A1`` turns 18 on 15 August 2026, inside the quarter: booked on 10 July as a juvenile (PC 459) and
  on 1 September as an adult (PC 647(b)). Residences: Oakland until 1 Feb 2025, then a gap of 89
  days (on the run), Las Vegas NV until 31 Dec 2025, a gap of 15 days, Hayward since 15 Jan 2026;
  referred on 1 March 2025, inside the first gap. A Social Services foster-home placement since
  1 June 2025 with no end date; a CSEC allegation received 2 August 2026, unfounded. CSEC
  advocacy by MISSSEY since her referral, ongoing.
- ``B2`` referred in the quarter (15 July 2026), no services, no residence timeline. On probation
  since November 2025, at camp from 5 January to 20 August 2026: back from placement in the
  quarter, aged 16, with no school enrolment since (her last one ended in December 2025).
- ``C3`` referred in 2024; a group home until 31 July 2026 and an STRTP from that day on (a transfer,
  not a return home); enrolled at two schools of one district.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from tests.warehouse_data import extract, links, record
from warehouse import Warehouse

QUARTER = "2026Q3"
START, AS_OF = date(2026, 7, 1), date(2026, 9, 30)
DELIVERED = date(2026, 10, 1)

CLIENTS = [
    {
        "record_id": "A1",
        "first_name": "Amara",
        "last_name": "Quill",
        "dob": "2008-08-15",
        "sex": "F",
        "city": "Hayward",
        "county": "Alameda",
        "referral_date": "2025-03-01",
        "csec_status": "identified",
        "risk_factors": "runaway|known_recruiter",
        "next_meeting": "2026-10-08",
    },
    {
        "record_id": "B2",
        "first_name": "Bella",
        "last_name": "Rook",
        "dob": "2010-01-20",
        "sex": "F",
        "city": "Oakland",
        "county": "Alameda",
        "referral_date": "2026-07-15",
        "csec_status": "at_risk",
        "risk_factors": "substance_use",
    },
    {
        "record_id": "C3",
        "first_name": "Cleo",
        "last_name": "Stone",
        "dob": "2009-05-05",
        "sex": "F",
        "city": "San Leandro",
        "county": "Alameda",
        "referral_date": "2024-06-01",
        "csec_status": "at_risk",
    },
]
RESIDENCES = [
    {"record_id": "A1", "city": "Oakland", "county": "Alameda", "state": "CA", "start_date": "2024-01-01",
     "end_date": "2025-02-01"},
    {"record_id": "A1", "city": "Las Vegas", "county": "Clark", "state": "NV", "start_date": "2025-05-01",
     "end_date": "2025-12-31"},
    {"record_id": "A1", "city": "Hayward", "county": "Alameda", "state": "CA", "start_date": "2026-01-15"},
]  # fmt: skip
SERVICES = [
    {"record_id": "A1", "service": "csec_advocacy", "provider": "misssey", "start_date": "2025-03-10"},
    {"record_id": "C3", "service": "mental_health", "provider": "wcc", "start_date": "2024-07-01",
     "end_date": "2025-01-31"},
]  # fmt: skip


def _person(rid: str) -> dict:
    return {"record_id": rid, "first_name": "Linked", "last_name": rid, "dob": "2009-01-01"}


def _load(wh: Warehouse, source: str, kind: str, tables: dict, pairs: list[tuple[str, str]]) -> None:
    ex = dataclasses.replace(extract(source, kind, tables), delivered_on=DELIVERED)
    wh.load_delivery(record(wh, ex), ex, links(*[(r, c, 0.999, "match") for r, c in pairs]))


def build_outcomes_warehouse(url: str) -> Warehouse:
    """The warehouse described above."""
    wh = Warehouse(url)
    wh.migrate()
    ex = extract(
        "safetynet_clients",
        "safetynet_clients",
        {"clients": CLIENTS, "client_residences": RESIDENCES, "client_services": SERVICES},
    )
    ex = dataclasses.replace(ex, delivered_on=DELIVERED)
    wh.load_clients(record(wh, ex), ex)
    _load(
        wh,
        "oakland_pd",
        "arrest_log",
        {
            "arrests": [
                dict(_person("BK-1"), arrest_datetime="2026-07-10 21:00", charges="459 PC"),
                dict(_person("BK-2"), arrest_datetime="2026-09-01 23:30", charges="647(b) PC"),
                dict(_person("BK-3"), arrest_datetime="2025-11-03 14:00", charges="PC 211"),
            ]
        },
        [("BK-1", "A1"), ("BK-2", "A1"), ("BK-3", "B2")],
    )
    _load(
        wh,
        "social_services",
        "social_services",
        {
            "welfare_clients": [_person("W-A1"), _person("W-C3")],
            "welfare_referrals": [
                {
                    "referral_id": "WR-1",
                    "record_id": "W-A1",
                    "referral_date": "2026-08-02",
                    "allegation_type": "Commercial Sexual Exploitation",
                    "disposition": "unfounded",
                },
                {
                    "referral_id": "WR-2",
                    "record_id": "W-A1",
                    "referral_date": "2025-05-20",
                    "allegation_type": "General Neglect",
                    "disposition": "substantiated",
                },
                {
                    "referral_id": "WR-3",
                    "record_id": "W-C3",
                    "referral_date": "2026-01-10",
                    "allegation_type": "Sexual Abuse",
                    "disposition": "substantiated",
                },
            ],
            "welfare_placements": [
                {
                    "episode_id": "E-1",
                    "record_id": "W-A1",
                    "placement_type": "foster_home",
                    "start_date": "2025-06-01",
                },
                {
                    "episode_id": "E-2",
                    "record_id": "W-C3",
                    "placement_type": "group_home",
                    "start_date": "2026-02-01",
                    "end_date": "2026-07-31",
                },
                {
                    "episode_id": "E-3",
                    "record_id": "W-C3",
                    "placement_type": "str_tp",
                    "start_date": "2026-07-31",
                },
            ],
        },  # fmt: skip
        [("W-A1", "A1"), ("W-C3", "C3")],
    )
    _load(
        wh,
        "probation",
        "probation",
        {
            "probation_referrals": [
                dict(
                    _person("P-B2"),
                    referral_id="PR-1",
                    referral_date="2025-11-01",
                    supervision_status="probation",
                    placement_type="camp",
                    facility="Camp Sweeney",
                    placement_start="2026-01-05",
                    placement_end="2026-08-20",
                )
            ]
        },
        [("P-B2", "B2")],
    )
    _load(
        wh,
        "oakland_usd",
        "school_district",
        {
            "school_enrollments": [
                dict(
                    _person("S-B2"),
                    school="Fremont High",
                    enroll_start="2025-08-12",
                    enroll_end="2025-12-15",
                    days_enrolled=80,
                    days_absent=20,
                ),
                dict(
                    _person("S-C3"),
                    school="Skyline High",
                    enroll_start="2025-08-12",
                    enroll_end="2026-01-20",
                    days_enrolled=100,
                    days_absent=3,
                ),
                dict(
                    _person("S-C3b"),
                    school="Castlemont High",
                    enroll_start="2026-08-11",
                    days_enrolled=30,
                    days_absent=1,
                ),
            ]
        },  # fmt: skip
        [("S-B2", "B2"), ("S-C3", "C3"), ("S-C3b", "C3")],
    )
    return wh
