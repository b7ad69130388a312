"""A small warehouse for one-decision-per-youth tests (issue 17), loaded through the pipeline's own
memory step (sync.memory: identity tokens and recall), with the matcher's links written by hand.

Clients: C1 Ana Garcia (her twin Bea is not a client), C2 Josie Cruz (a trans girl: agencies file
her legal name, Marcus), C3 Destiny Okafor.

Night 1 (``NIGHT_1``): the twin Bea Garcia in an Oakland PD booking (B1) and in Probation (P1), both
in review for C1 as a possible twin; Marcus Cruz in a school roster (S1), in review for C2; a
namesake of Destiny (B2) in review for C3. Night 2 (``NIGHT_2``): Bea's next booking (B3, written
"BEA L GARCIA"), and Marcus's next booking (B4), both in review again as the matcher sees them.
"""

from __future__ import annotations

import json

import pandas as pd

from sync.memory import recall, row_identities
from tests.warehouse_data import extract, record
from warehouse import Warehouse

KEY = b"test identity key"


def explanation(**levels: str) -> str:
    fields = ["first_name", "middle_name", "last_name", "name_order", "aliases", "dob", "sex", "address"]
    default = {"name_order": "straight", "aliases": "missing"}
    return json.dumps(
        {
            "fields": [
                {"field": f, "level": levels.get(f, default.get(f, "exact")), "weight": 1.0} for f in fields
            ],
            "prior": -10.0,
            "total": 2.0,
        }
    )


TWIN = explanation(first_name="else")
LEGAL_NAME = explanation(first_name="else", sex="disagree", dob="exact")
NAMESAKE = explanation(dob="else", address="else")

CLIENTS = [
    {"record_id": "C1", "first_name": "Ana", "middle_name": "Luz", "last_name": "Garcia", "dob": "2009-05-12",
     "sex": "F", "address": "12 Elm St", "city": "Oakland", "zip": "94601", "referral_date": "2025-01-01",
     "csec_status": "identified"},
    {"record_id": "C2", "first_name": "Josie", "last_name": "Cruz", "dob": "2008-03-04", "sex": "F",
     "gender_identity": "transgender female", "address": "4 Oak Ave", "city": "Hayward", "zip": "94541",
     "referral_date": "2025-02-01", "csec_status": "at_risk"},
    {"record_id": "C3", "first_name": "Destiny", "last_name": "Okafor", "dob": "2008-02-02", "sex": "F",
     "referral_date": "2025-04-01", "csec_status": "identified"},
]  # fmt: skip

BEA = {"first_name": "Bea", "middle_name": "Luz", "last_name": "Garcia", "dob": "2009-05-12", "sex": "F",
       "address": "12 Elm St", "city": "Oakland", "zip": "94601"}  # fmt: skip
JOSE = {"first_name": "Marcus", "last_name": "Cruz", "dob": "2008-03-04", "sex": "M", "address": "4 Oak Ave",
        "city": "Hayward", "zip": "94541"}  # fmt: skip


def booking(record_id: str, person: dict, when: str) -> dict:
    return {**person, "record_id": record_id, "agency_ori": "CA0010900", "arrest_datetime": when,
            "charges": "PC 459"}  # fmt: skip


NIGHT_1 = {
    "oakland_pd": (
        [
            booking("B1", BEA, "2026-10-01 22:10"),
            booking("B2", {"first_name": "Destiny", "last_name": "Okafor", "dob": "2007-09-30", "sex": "F"},
                    "2026-10-02 01:00"),
        ],
        [("B1", "C1", 0.97, "review", TWIN), ("B2", "C3", 0.7, "review", NAMESAKE)],
    ),
    "probation": (
        [{**BEA, "record_id": "P1", "referral_id": "R1", "referral_date": "2026-09-01",
          "supervision_status": "probation"}],
        [("P1", "C1", 0.96, "review", TWIN)],
    ),
    "oakland_usd": (
        [{**JOSE, "record_id": "S1", "school": "Oakland High", "school_year": "2026-27",
          "enroll_start": "2026-08-12", "grade": "11"}],
        [("S1", "C2", 0.9, "review", LEGAL_NAME)],
    ),
}  # fmt: skip
NIGHT_2 = {
    "oakland_pd": (
        [
            booking("B3", {**BEA, "first_name": "BEA", "middle_name": "L", "last_name": "GARCIA"},
                    "2026-11-02 03:00"),
            booking("B4", JOSE, "2026-11-03 04:00"),
        ],
        [("B3", "C1", 0.97, "review", TWIN), ("B4", "C2", 0.9, "review", LEGAL_NAME)],
    ),
}  # fmt: skip
KINDS = {"oakland_pd": ("arrest_log", "arrests"), "probation": ("probation", "probation_referrals"),
         "oakland_usd": ("school_district", "school_enrollments")}  # fmt: skip


def load_night(wh: Warehouse, night: dict, tag: str) -> None:
    """Each source's rows loaded as the pipeline loads them: identities kept, the memory consulted."""
    for source, (rows, pairs) in night.items():
        kind_name, table = KINDS[source]
        ex = extract(source, kind_name, {table: rows}, tag)
        links = pd.DataFrame(pairs, columns=["record_id", "client_id", "score", "decision", "explanation"])
        identities = row_identities(ex.persons(), links, KEY)
        wh.load_delivery(record(wh, ex), ex, links, identities, recall)


def build(url: str) -> Warehouse:
    wh = Warehouse(url)
    wh.migrate()
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS})
    wh.load_clients(record(wh, ex), ex)
    load_night(wh, NIGHT_1, "1")
    return wh
