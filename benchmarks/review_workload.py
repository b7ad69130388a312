"""A year of review work: ``python -m benchmarks.review_workload [--weeks 52] [--clients 200] [--scale 10]``.

One persistent synthetic population (``synthetic.generate`` at the year's last day: every booking,
referral, enrolment and client referral of four years, each agency record with its own noise), and
``--weeks`` weekly rounds of deliveries cut from it by date, written in each agency's own layout:

- the client list: every client referred by that day (clients are added to the list over the year),
  a fifth of them on the next Thursday's agenda;
- probation and social services: every youth with a referral by that day, their referrals and
  placements so far (open ones open);
- arrest logs: the bookings of the last 365 days (new bookings every week; a client's twin or
  sibling is booked again);
- school districts, every fourth week: the enrolments begun by that day (a new school year brings
  new rows, a youth who changes district a new id).

Each week runs the real sync (``sync.pipeline``: read, Great Expectations checks, match, load) for
every delivery, then a perfect coordinator answers every open review item from the generator's
truth, through the same decision code as the review app, until the queue is empty. Printed per
week: items asked, decisions made, repeat questions (an item about a youth already decided for the
same client), auto-match precision and recall on that week's deliveries, and client-profile
precision and recall (every match link in the warehouse against the truth, over the records
delivered so far of the clients on the list). The summary adds the generator's hard-case tags of
the rows of each repeat question (why the memory could not know her: e.g. ``other_given``, the same
girl under a given name never seen for her, is shaped exactly like her twin), and splits the repeat
questions by what the warehouse could know (column ``known``): an item with a row that agrees with a
row decided for one of its candidates (``matchers.identity.same_youth``, the memory's own test) is
one the memory should have answered; the others are a youth under an identity never decided (only
the generator's truth says she was). No client data is printed: counts, rates and tag names only.

The same script runs on an older checkout (the review app's decision code of that checkout is
used: one decision per row there), which is how the baseline of issue 17 was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

WEEK = timedelta(days=7)
COORDINATOR = "coordinator"


# --- the world: one population, deliveries cut by date ----------------------------------------------


@dataclass
class World:
    sources: dict  # name -> SourceConfig
    tables: dict[str, dict[str, pd.DataFrame]]  # source -> canonical table -> rows (four years)
    #: (source, record_id) -> person id (every agency person record) and -> client id (clients' rows)
    person: dict[tuple[str, str], str]
    client: dict[tuple[str, str], str]
    #: client id -> referral date (the day the client joins the list)
    referred: dict[str, date]
    end: date
    #: (source, record_id) -> the generator's hard-case tags of the record ("" when none)
    hard: dict[tuple[str, str], str] = field(default_factory=dict)


def build_world(world: Path, seed: int, clients: int, scale: int, end: date) -> World:
    """The year's population: generated into ``world`` once, read back from it afterwards (so two
    checkouts measured one after the other see exactly the same people and deliveries)."""
    from integrations.config import load_sources
    from integrations.readers import read_extract

    sources = load_sources()
    if not (world / "truth" / "persons.csv").is_file():
        from synthetic import generate

        generate(world, seed=seed, clients=clients, scale=scale, as_of=end)
    files = {}
    for name, src in sources.items():
        found = sorted((world / "landing" / src.landing).glob(src.pattern))
        if found:
            files[name] = found[-1]
    tables = {name: read_extract(path, sources[name]).tables for name, path in files.items()}
    persons = pd.read_csv(world / "truth" / "persons.csv", dtype=str)
    person = dict(
        zip(zip(persons["source"], persons["record_id"], strict=True), persons["person_id"], strict=True)
    )
    links = pd.read_csv(world / "truth" / "links.csv", dtype=str)
    client = dict(zip(zip(links["source"], links["record_id"], strict=True), links["client_id"], strict=True))
    listed = next(t["clients"] for n, t in tables.items() if sources[n].kind == "safetynet_clients")
    referred = {
        str(c): (d.date() if pd.notna(d) else end - timedelta(days=4 * 365))
        for c, d in zip(listed["record_id"], listed["referral_date"], strict=True)
    }
    hard = dict(
        zip(
            zip(persons["source"], persons["record_id"], strict=True),
            persons["hard_case"].fillna(""),
            strict=True,
        )
    )
    return World(sources, tables, person, client, referred, end, hard)


def _thursday_after(day: date) -> date:
    return day + timedelta(days=(3 - day.weekday()) % 7 or 7)


def as_of(frame: pd.DataFrame, table: str, day: date) -> pd.DataFrame:
    """A canonical table as an extract of ``day`` would hold it (integrations.kinds' own description
    of the table): rows whose event date is later are not there yet, a range that ends later is
    still open, and the columns of a range not begun yet are empty."""
    from integrations.kinds import table_spec

    spec = table_spec(table)
    stamp = pd.Timestamp(day) + pd.Timedelta(hours=23, minutes=59)
    if spec.event_date and spec.event_date in frame:
        frame = frame[frame[spec.event_date].isna() | (frame[spec.event_date] <= stamp)]
    frame = frame.copy()
    if spec.open_range:
        start, end, cleared = spec.open_range
        if start in frame and end in frame:
            later = frame[start] > stamp
            frame.loc[later, start] = pd.NaT
            frame.loc[later, end] = pd.NaT
            for col in cleared:
                frame.loc[later, col] = None
            frame.loc[frame[end] > stamp, end] = pd.NaT
    return frame


def deliveries_on(world: World, day: date, week: int) -> dict[str, dict[str, pd.DataFrame]]:
    """What each source delivers on ``day`` (schools every fourth week)."""
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for name, tables in world.tables.items():
        kind = world.sources[name].kind
        if kind == "school_district" and week % 4 and week >= 0:  # monthly; the onboarding brings them
            continue
        cut = {t: as_of(f, t, day) for t, f in tables.items()}
        if kind == "safetynet_clients":
            c = cut["clients"]
            c = c[[world.referred[str(r)] <= day for r in c["record_id"]]]
            agenda = [zlib.crc32(f"{r}:{week}".encode()) % 5 == 0 for r in c["record_id"]]
            c["next_meeting"] = pd.Series(
                [pd.Timestamp(_thursday_after(day)) if a else pd.NaT for a in agenda], index=c.index
            ).astype("datetime64[ns]")
            listed = set(c["record_id"])
            cut = {"clients": c} | {
                t: f[f["record_id"].isin(listed)] for t, f in cut.items() if t != "clients"
            }
        elif kind == "arrest_log":
            # the bookings of the last 365 days: new ones every week, old ones age out
            a = cut["arrests"]
            cut = {"arrests": a[a["arrest_datetime"] > pd.Timestamp(day - timedelta(days=365))]}
        elif kind == "social_services":
            # a youth is on the Clients sheet once she has a referral or placement by that day
            referred = set(cut["welfare_referrals"]["record_id"]) | set(
                cut["welfare_placements"]["record_id"]
            )
            ever = set(tables["welfare_referrals"]["record_id"]) | set(
                tables["welfare_placements"]["record_id"]
            )
            youth = cut["welfare_clients"]
            cut["welfare_clients"] = youth[youth["record_id"].isin(referred) | ~youth["record_id"].isin(ever)]
        out[name] = cut
    return out


def write_deliveries(world: World, landing: Path, day: date, week: int) -> list[str]:
    from synthetic.writers import delivery_name, write_source

    written = []
    for name, tables in deliveries_on(world, day, week).items():
        src = world.sources[name]
        tables = {t: f.reset_index(drop=True) for t, f in tables.items()}
        write_source(src, tables, landing / src.landing / delivery_name(src, day), day)
        written.append(name)
    return written


# --- the coordinator: the app's own decision code, answers from the truth --------------------------


@dataclass
class Tally:
    items: int = 0
    decisions: int = 0
    repeats: int = 0
    #: repeats with a row that agrees with a row decided for one of the item's candidates (None: this
    #: checkout keeps no identities)
    known: int | None = None
    #: hard-case tags of the rows of each repeat question -> repeats (why memory did not know her)
    repeat_cases: dict[str, int] = field(default_factory=dict)


@dataclass
class Question:
    """One open item as the coordinator sees it: its rows and their candidate clients."""

    item_id: int
    #: item id -> (source, record_id) of each row decided together (one in the old code)
    rows: dict[int, tuple[str, str]]
    candidates: list[str]


class Coordinator:
    """Answers every open item from the truth. ``decided`` holds (person, client) pairs already
    answered: an item showing such a pair again is a repeat question."""

    def __init__(self, engine: sa.Engine, world: World) -> None:
        self.engine = engine
        self.world = world
        self.decided: set[tuple[str, str]] = set()
        deciding = None
        if _in_checkout("review", "deciding"):
            from review import deciding  # the grouped decisions of issue 17
        self.deciding = deciding
        from review.queue import QueueOrder

        self.order = QueueOrder()

    def truth(self, row: tuple[str, str], listed: set[str]) -> str | None:
        client = self.world.client.get(row)
        return client if client in listed else None

    def clear(self, listed: set[str]) -> Tally:
        from review.queue import next_item

        tally = Tally(known=None if self.deciding is None else 0)
        asked: set[int] = set()
        while True:
            with self.engine.connect() as conn:
                item_id = next_item(conn, self.order)
            if item_id is None:
                return tally
            question = self.question(item_id)
            if item_id not in asked:
                asked.add(item_id)
                tally.items += 1
                people = {self.world.person.get(r) for r in question.rows.values()}
                if any((p, c) in self.decided for p in people for c in question.candidates):
                    tally.repeats += 1
                    if self.deciding is not None:
                        tally.known = (tally.known or 0) + self.seen_before(question)
                    tags = {t for r in question.rows.values() for t in self.world.hard.get(r, "").split("|")}
                    case = "|".join(sorted(tags - {""})) or "none"
                    tally.repeat_cases[case] = tally.repeat_cases.get(case, 0) + 1
            tally.decisions += self.answer(question, listed)

    def seen_before(self, q: Question) -> bool:
        """Whether a row of ``q`` agrees with a standing decided row about one of its candidates
        (the youth memory of issue 17 compares the same identity tokens)."""
        from matchers.identity import Identity, same_youth

        with self.engine.connect() as conn:
            own = [
                Identity.from_json(t)
                for s, r in q.rows.values()
                for t in conn.execute(
                    sa.text("SELECT identity FROM source_persons WHERE source = :s AND record_id = :r"),
                    {"s": s, "r": r},
                ).scalars()
            ]
            decided = [
                Identity.from_json(t)
                for c in q.candidates
                for t in conn.execute(
                    sa.text(
                        "SELECT y.identity FROM review_youth_rows y "
                        "JOIN review_decisions d ON d.id = y.decision_id "
                        "LEFT JOIN review_undos u ON u.decision_id = d.id "
                        "WHERE d.client_id = :c AND u.decision_id IS NULL AND y.identity IS NOT NULL"
                    ),
                    {"c": c},
                ).scalars()
            ]
        return any(same_youth(a, b) for a in own if a for b in decided if b)

    def question(self, item_id: int) -> Question:
        with self.engine.connect() as conn:
            if self.deciding is not None:
                group = self.deciding.item_group(conn, item_id, self.order)
                return Question(
                    item_id, {m.item_id: (m.source, m.record_id) for m in group.rows}, list(group.clients)
                )
            items = sa.table("review_items", sa.column("id"), sa.column("source"), sa.column("record_id"))
            links = sa.table(
                "match_links",
                sa.column("source"),
                sa.column("record_id"),
                sa.column("client_id"),
                sa.column("score"),
            )
            row = conn.execute(
                sa.select(items.c.source, items.c.record_id).where(items.c.id == item_id)
            ).one()
            clients = list(
                conn.execute(
                    sa.select(links.c.client_id)
                    .where(links.c.source == row.source, links.c.record_id == row.record_id)
                    .order_by(links.c.score.desc())
                ).scalars()
            )
        return Question(item_id, {item_id: (row.source, row.record_id)}, clients)

    def answer(self, q: Question, listed: set[str]) -> int:
        """Decide the item as the truth says; returns the decisions made (clicks)."""
        # rows of one youth are decided together; an item mixing youths is answered for the rows of
        # its first row's youth (the app lets the coordinator untick the others)
        by_truth: dict[str | None, list[int]] = {}
        first_person = self.world.person.get(next(iter(q.rows.values())))
        rows = [i for i, r in q.rows.items() if self.world.person.get(r) == first_person]
        truth = self.truth(q.rows[rows[0]], listed)
        by_truth[truth] = rows
        people = {self.world.person.get(q.rows[i]) for i in rows}
        if truth is not None:
            decision = "same_person" if truth in q.candidates else "link_other_client"
            self.decide(q, rows, truth, decision)
            self.decided |= {(p, c) for p in people for c in {truth, *q.candidates}}
            return 1
        if self.deciding is not None:
            self.decide(q, rows, None, "none_of_these")
            self.decided |= {(p, c) for p in people for c in q.candidates}
            return 1
        # the old app: "not this person" one candidate at a time
        self.decide(q, rows, q.candidates[0], "not_this_person")
        self.decided |= {(p, q.candidates[0]) for p in people}
        return 1

    def decide(self, q: Question, rows: list[int], client: str | None, decision: str) -> None:
        if self.deciding is not None:
            self.deciding.decide_item(
                self.engine,
                q.item_id,
                client_id=client,
                decision=decision,
                decided_by=COORDINATOR,
                rows=rows,
                order=self.order,
            )
            return
        from warehouse import decisions

        (source, record_id) = q.rows[rows[0]]
        decisions.decide(
            self.engine,
            source=source,
            record_id=record_id,
            client_id=client,
            decision=decision,
            decided_by=COORDINATOR,
        )


# --- measures ------------------------------------------------------------------------------------------


def _links(engine: sa.Engine) -> pd.DataFrame:
    ml = sa.table(
        "match_links",
        sa.column("source"),
        sa.column("record_id"),
        sa.column("client_id"),
        sa.column("decision"),
        sa.column("decided_by"),
        sa.column("delivery_id"),
    )
    with engine.connect() as conn:
        rows = conn.execute(sa.select(ml).where(ml.c.decision == "match")).all()
    return pd.DataFrame(
        [tuple(r) for r in rows],
        columns=["source", "record_id", "client_id", "decision", "decided_by", "delivery_id"],
    )


def precision_recall(found: Iterable[tuple], truth: set[tuple]) -> tuple[float, float]:
    found = set(found)
    hit = len(found & truth)
    return (hit / len(found) if found else 1.0, hit / len(truth) if truth else 1.0)


@dataclass
class Week:
    week: int
    day: date
    deliveries: int
    items: int
    decisions: int
    repeats: int
    known: int | None
    auto_precision: float
    auto_recall: float
    profile_precision: float
    profile_recall: float
    open_after_sync: int
    seconds: float
    extra: dict = field(default_factory=dict)


def run(args: argparse.Namespace) -> list[Week]:
    tmp = Path(args.out or tempfile.mkdtemp(prefix="review_workload_"))
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SAFETYNET_VAR_DIR", str(tmp / "var"))
    os.environ.setdefault("SAFETYNET_MATCHER_PARAMS_DIR", str(tmp / "var" / "matcher"))
    from integrations.config import load_sources
    from matchers import default_matcher
    from sync.pipeline import ingest_next, link_and_load
    from warehouse import Warehouse

    end = args.end
    start = end - (args.weeks - 1) * WEEK
    world = build_world(
        Path(args.world) if args.world else tmp / "year", args.seed, args.clients, args.scale, end
    )
    landing = tmp / "landing"
    url = args.url or f"sqlite:///{tmp / 'warehouse.db'}"
    warehouse = Warehouse(url)
    warehouse.migrate()
    coordinator = Coordinator(warehouse.engine, world)
    order = list(load_sources())  # the client list first, as config/sources.yaml lists it
    # (source, record, client) of every record delivered while its client was on the list
    expected: set[tuple[str, str, str]] = set()
    weeks: list[Week] = []
    refit = _refit_step() if args.refit else None
    # week -1 is the onboarding: the agencies' history up to the year's start, cleared once
    for w in range(-1 if args.onboarding else 0, args.weeks):
        t0 = time.perf_counter()
        day = start + w * WEEK
        names = write_deliveries(world, landing, day, w)
        listed = {c for c, d in world.referred.items() if d <= day}
        this_week: set[tuple[str, str, str]] = set()
        for name in order:
            if name not in names:
                continue
            src = world.sources[name]
            outcome = ingest_next(src, landing, warehouse, trigger="workload", today=day)
            if outcome.status not in ("pending", "validated"):  # "validated": checkouts before 0009
                if outcome.status != "no_delivery":  # the same bytes as last week: nothing new
                    print(f"week {w}: {name} {outcome.status}", file=sys.stderr)
                continue
            link_and_load(outcome, src, warehouse, default_matcher())
            if src.kind != "safetynet_clients":
                records = {
                    str(r) for t in deliveries_on(world, day, w)[name].values() for r in t["record_id"]
                }
                this_week |= {(name, r, world.client.get((name, r))) for r in records}
        truth_week = {(s, r, c) for s, r, c in this_week if c in listed}
        expected |= truth_week
        links = _links(warehouse.engine)
        model = links[links["decided_by"] == "model"]
        delivered = {(s, r) for s, r, _ in this_week}
        model_pairs = {
            (s, r, c)
            for s, r, c in zip(model["source"], model["record_id"], model["client_id"], strict=True)
            if (s, r) in delivered
        }
        auto_p, auto_r = precision_recall(model_pairs, truth_week)
        with warehouse.engine.connect() as conn:
            open_items = conn.execute(
                sa.text("SELECT count(*) FROM review_items WHERE status = 'open'")
            ).scalar_one()
        tally = coordinator.clear(listed)
        links = _links(warehouse.engine)
        found = set(zip(links["source"], links["record_id"], links["client_id"], strict=True))
        prof_p, prof_r = precision_recall(found, expected)
        extra = refit(warehouse, world, landing) if refit else {}
        if tally.repeat_cases:
            extra["repeat_cases"] = tally.repeat_cases
        weeks.append(
            Week(
                w,
                day,
                len(names),
                tally.items,
                tally.decisions,
                tally.repeats,
                tally.known,
                auto_p,
                auto_r,
                prof_p,
                prof_r,
                int(open_items),
                time.perf_counter() - t0,
                extra,
            )
        )
        print(_line(weeks[-1]), flush=True)
    warehouse.dispose()
    return weeks


def _in_checkout(package: str, module: str) -> bool:
    """Whether ``package.module`` is a file of the checkout this script runs from. Not an import
    attempt: in a virtualenv with an editable install of a newer checkout, a module the older one
    lacks is found there (the baseline got the newer weekly refit that way)."""
    import importlib

    return (Path(importlib.import_module(package).__file__).parent / f"{module}.py").is_file()


def _refit_step():
    """The weekly refit of issue 17 part 5 when this checkout has it, else None."""
    if not _in_checkout("sync", "refit"):
        return None
    from sync.refit import refit_matcher

    def step(warehouse, world: World, landing: Path) -> dict:
        result = refit_matcher(warehouse, world.sources, landing)
        return {"refit": result.get("published")} if isinstance(result, dict) else {}

    return step


HEADER = (
    f"{'week':>4} {'day':>10} {'deliv':>5} {'open':>5} {'asked':>5} {'decided':>7} {'repeat':>6} "
    f"{'known':>5} {'auto P':>7} {'auto R':>7} {'prof P':>7} {'prof R':>7} {'s':>6}"
)


def _line(w: Week) -> str:
    return (
        f"{w.week:>4} {w.day.isoformat():>10} {w.deliveries:>5} {w.open_after_sync:>5} {w.items:>5} "
        f"{w.decisions:>7} {w.repeats:>6} {'-' if w.known is None else w.known:>5} "
        f"{w.auto_precision:>7.4f} {w.auto_recall:>7.4f} "
        f"{w.profile_precision:>7.4f} {w.profile_recall:>7.4f} {w.seconds:>6.1f}"
    )


def summary(weeks: list[Week]) -> dict:
    """Totals of the weekly rounds (the onboarding round, week -1, apart) and the year-end profiles."""
    last = weeks[-1]
    onboarding = [w for w in weeks if w.week < 0]
    weeks = [w for w in weeks if w.week >= 0]
    return {
        "onboarding": {
            "items_asked": sum(w.items for w in onboarding),
            "decisions": sum(w.decisions for w in onboarding),
            "repeat_questions": sum(w.repeats for w in onboarding),
        },
        "weeks": len(weeks),
        "items_asked": sum(w.items for w in weeks),
        "decisions": sum(w.decisions for w in weeks),
        "repeat_questions": sum(w.repeats for w in weeks),
        "repeat_questions_known_identity": None
        if any(w.known is None for w in weeks)
        else sum(w.known for w in weeks),
        "repeat_cases": _summed(w.extra.get("repeat_cases", {}) for w in weeks),
        "decisions_with_onboarding": sum(w.decisions for w in weeks + onboarding),
        "profile_precision": round(last.profile_precision, 5),
        "profile_recall": round(last.profile_recall, 5),
        "auto_precision_mean": round(float(np.mean([w.auto_precision for w in weeks])), 5),
        "auto_recall_mean": round(float(np.mean([w.auto_recall for w in weeks])), 5),
    }


def _summed(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            out[k] = out.get(k, 0) + v
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--end", type=date.fromisoformat, default=date(2026, 11, 26), help="the last week's delivery day"
    )
    parser.add_argument("--url", help="warehouse URL (default: SQLite in the work folder)")
    parser.add_argument("--out", help="work folder (default: a new temporary folder)")
    parser.add_argument(
        "--world",
        help="the generated population to use (made there with --seed/--clients/--scale/--end if absent): "
        "the same people for two checkouts",
    )
    parser.add_argument(
        "--no-refit", dest="refit", action="store_false", help="leave out the weekly matcher refit"
    )
    parser.add_argument(
        "--no-onboarding",
        dest="onboarding",
        action="store_false",
        help="no onboarding round: the agencies' history arrives with the first week",
    )
    parser.add_argument("--json", help="also write the weeks and the summary to this file")
    args = parser.parse_args()
    print(HEADER, flush=True)
    weeks = run(args)
    total = summary(weeks)
    print("total:", json.dumps(total))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"summary": total, "weeks": [{**w.__dict__, "day": w.day.isoformat()} for w in weeks]},
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
