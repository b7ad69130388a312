"""A small, readable warehouse for the review-app tests, and login helpers (plain functions).

Clients C1-C4 (C3 and C4 on the next meeting's agenda), one Oakland PD arrest delivery:

- B1: auto-matched to C1 (the model was sure);
- B2: review, candidates C2 (0.62) and C3 (0.55)  -> on the agenda through C3;
- B4: review, one candidate C4 (0.70)              -> on the agenda;
- B5: review, one candidate C2 (0.65), and a probation row P1 (two referrals) for C2 in review.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import sqlalchemy as sa

from review.accounts import create_user
from review.testing import login_code
from tests.warehouse_data import ARRESTS, CLIENTS, arrests, extract, links, record
from warehouse import Warehouse
from warehouse.db import utcnow

PASSWORD = "a-long-test-password"
MEETING = utcnow().date() + timedelta(days=3)

EXPLANATION = json.dumps(
    {
        "fields": [
            {"field": "first_name", "level": "nickname", "weight": 2.1},
            {"field": "last_name", "level": "exact", "weight": 7.5},
            {"field": "name_order", "level": "straight", "weight": 0.0},
            {"field": "dob", "level": "day_month_swap", "weight": 3.0},
            {"field": "sex", "level": "agree", "weight": 0.9},
            {"field": "race", "level": "missing", "weight": 0.0},
            {"field": "address", "level": "else", "weight": -2.0},
            {"field": "city", "level": "missing", "weight": 0.0},
            {"field": "zip", "level": "missing", "weight": 0.0},
        ],
        "prior": -10.0,
        "total": 11.5,
    }
)

CLIENT_ROWS = [
    CLIENTS[0],
    CLIENTS[1],
    dict(CLIENTS[2], next_meeting=MEETING.isoformat()),
    {
        "record_id": "C4",
        "first_name": "Destiny",
        "last_name": "Okafor",
        "aliases": "Dee",
        "dob": "2008-02-02",
        "sex": "F",
        "referral_date": "2025-04-01",
        "csec_status": "identified",
        "next_meeting": MEETING.isoformat(),
    },
]
ARREST_ROWS = [
    *ARRESTS[:2],
    ARRESTS[3],
    dict(ARRESTS[1], record_id="B5", first_name="Mari", dob="2010-07-21"),
]
PROBATION = [
    {
        "record_id": "P1",
        "first_name": "Maria",
        "last_name": "Lopez",
        "dob": "2010-07-21",
        "referral_id": f"R{i}",
        "referral_date": f"2026-0{i}-01",
        "supervision_status": "probation",
        "court": "Girls' Court",
    }
    for i in (1, 2)
]


def model_links(*rows: tuple[str, str, float, str]):
    frame = links(*rows)
    frame["explanation"] = EXPLANATION
    return frame


def build(url: str) -> Warehouse:
    wh = Warehouse(url)
    wh.migrate()
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENT_ROWS})
    wh.load_clients(record(wh, ex), ex)
    arr = arrests(ARREST_ROWS)
    wh.load_delivery(
        record(wh, arr),
        arr,
        model_links(
            ("B1", "C1", 0.995, "match"),
            ("B2", "C2", 0.62, "review"),
            ("B2", "C3", 0.55, "review"),
            ("B4", "C4", 0.70, "review"),
            ("B5", "C2", 0.65, "review"),
        ),
    )
    prob = extract("probation", "probation", {"probation_referrals": PROBATION})
    wh.load_delivery(record(wh, prob), prob, model_links(("P1", "C2", 0.9, "review")))
    return wh


def item_id(wh: Warehouse, source: str, record_id: str) -> int:
    with wh.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT id FROM review_items WHERE source = :s AND record_id = :r"),
            {"s": source, "r": record_id},
        ).scalar_one()


def add_user(wh: Warehouse, name: str, role: str) -> str:
    return create_user(wh.engine, name, role, PASSWORD)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name: str, secret: str, code: str | None = None):
    """Log a Flask test client in; returns the login response."""
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": name,
            "password": PASSWORD,
            "code": code or login_code(secret),
        },
    )
