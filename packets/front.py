"""The top of a youth's page: one paragraph saying where she is, whether it is stable and which
agencies were last in touch, and her risk factors as chips that agree with the summary.

Built from the measures (``warehouse.measures``) only, so the paragraph never says something the
tables below it do not show.
"""

from __future__ import annotations

from collections.abc import Callable

from integrations.vocabularies import label as vocab_label
from warehouse.measures import STABLE_AFTER_DAYS, STABLE_MOVES_PER_YEAR

SYSTEMS = {"probation": "Probation", "social_services": "Social Services"}
#: how many agencies the paragraph names (most recent first); the tables below list them all
CONTACTS_SHOWN = 4


def _words(code: object) -> str:
    return str(code).replace("_", " ") if code else ""


def _place(parts: tuple | None) -> str:
    if not parts:
        return ""
    city, county, state = parts
    return ", ".join(p for p in (city, f"{county} County" if county else "", state) if p)


def where_now(m: dict) -> str:
    """ "In a group home (Social Services placement) since 2026-08-01" / "Lives in ..." / not known."""
    p = m.get("placement_now")
    if p:
        facility = f", {p['facility']}" if p.get("facility") else ""
        system = SYSTEMS.get(p["system"], p["system"])
        return f"In custody: {_words(p['type'])} ({system} placement{facility}) since {p['start']}."
    place = _place(m.get("residence_now"))
    if place:
        since = f" since {m['living_since']}" if m.get("living_since") else ""
        return f"Lives in {place}{since}."
    if m.get("whereabouts_unknown"):
        return "Whereabouts not known: no residence or placement in force in any record."
    return "Residence not recorded."


def stability(m: dict) -> str:
    """The stability verdict with its reason (the rule is ``warehouse.measures.placement_stable``)."""
    moves, last = m.get("moves_past_year", 0), m.get("last_move")
    counted = f"{moves} move{'s' if moves != 1 else ''} in the past year" + (
        f", the latest on {last}" if moves and last else ""
    )
    if m.get("placement_stable") is None:
        return "Placement stability: not known (no dated residence or placement in force)."
    if m["placement_stable"]:
        return f"Placement stable: yes ({counted})."
    return (
        f"Placement stable: no ({counted}; stable means {STABLE_AFTER_DAYS} days or more in one place "
        f"and at most {STABLE_MOVES_PER_YEAR} moves a year)."
    )


def last_in_touch(m: dict, agency: Callable[[str], str]) -> str:
    contacts = m.get("last_contact_by_agency") or {}
    if not contacts:
        return "No agency record is linked to this youth yet."
    ranked = sorted(contacts.items(), key=lambda kv: kv[1]["on"], reverse=True)
    parts = [
        f"{agency(source)} ({c['on']}{', open now' if c['ongoing'] else ''})"
        for source, c in ranked[:CONTACTS_SHOWN]
    ]
    more = len(ranked) - CONTACTS_SHOWN
    return "Last in touch: " + "; ".join(parts) + (f"; and {more} more." if more > 0 else ".")


def front_summary(m: dict, agency: Callable[[str], str]) -> str:
    """One paragraph: where she is now, whether it is stable, which agencies were last in touch."""
    return " ".join((where_now(m), stability(m), last_in_touch(m, agency)))


def chronic_absence(m: dict) -> str:
    """The summary's chronic-absence line, saying which record says so (school data or the list)."""
    listed = "chronic_absence" in m.get("risk_factors_listed", [])
    if m["chronic_absence"]:
        return "yes (school records)"
    said = "no (school records)" if m["school_count"] else "no school records"
    return said + ("; named on the client list" if listed else "")


def risk_chips(m: dict) -> list[tuple[str, str]]:
    """(label, note) per risk factor: the client list's, plus chronic absence from school records.
    A note says where a chip comes from when the list and the school data do not say the same."""
    chips = []
    for code in m["risk_factors"]:
        note = ""
        if code == "chronic_absence":
            listed = code in m.get("risk_factors_listed", [])
            if m["chronic_absence"] and not listed:
                note = "school records"
            elif not m["chronic_absence"]:
                note = "client list; not in school records" if m["school_count"] else "client list"
        chips.append((vocab_label("risk_factors", code), note))
    return chips
