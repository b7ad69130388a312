"""SIGKILL the loader at many points of one delivery's load: the warehouse is exactly before or after.

One Social Services delivery (three fact tables, history versions, persons, links, review items)
is loaded by a forked child process that is killed:

- at statement boundaries: a hook on the child's engine SIGKILLs itself right before its Nth SQL
  statement, for N spread over every statement the load issues;
- at random moments: the parent SIGKILLs the child after a random delay within the load's duration
  (these land inside statements too, e.g. in the middle of a PostgreSQL COPY).

Each time the warehouse must fingerprint exactly as before the load or as after a clean load, with
every review decision still there. Each kill starts from a fresh copy of the "before" warehouse
(a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL). The number of kill points
per backend is printed (run with ``-s``) and recorded as a junit property.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from integrations.config import load_sources
from integrations.readers import read_extract
from synthetic.load import load_file, record, true_links
from tests.warehouse_data import add_decision
from warehouse import Warehouse
from warehouse.models import Base

SOURCE = "social_services"
STATEMENT_KILLS = int(os.environ.get("SAFETYNET_KILL_STATEMENTS", "22"))
RANDOM_KILLS = int(os.environ.get("SAFETYNET_KILL_RANDOM", "12"))
VOLATILE = {"updated_at", "loaded_at", "created_at", "received_at", "started_at", "finished_at", "opened_at"}
FORK = multiprocessing.get_context("fork")


def fingerprint(url: str) -> dict[str, str]:
    """Per table: a hash of its sorted rows without the columns that only say *when* a write happened."""
    engine = sa.create_engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if table.name == "runs":
                    continue
                cols = [c for c in table.columns if c.name not in VOLATILE]
                rows = sorted(repr(tuple(r)) for r in conn.execute(sa.select(*cols)))
                out[table.name] = f"{len(rows)}:{hashlib.sha1(''.join(rows).encode()).hexdigest()}"
    finally:
        engine.dispose()
    return out


def _child(url: str, delivery_id: int, extract, links, kill_at: int | None) -> None:
    wh = Warehouse(url)
    if kill_at is not None:
        count = [0]

        @event.listens_for(wh.engine, "before_cursor_execute")
        def _maybe_die(*_args) -> None:
            count[0] += 1
            if count[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    wh.load_delivery(delivery_id, extract, links)
    os._exit(0)


def _prepare(url: str, generated) -> tuple[int, object, object]:
    """Clients, an arrest log and review decisions loaded; the Social Services delivery recorded only."""
    sources = load_sources()
    wh = Warehouse(url)
    wh.migrate()
    load_file(wh, sources["safetynet_clients"], generated.files["safetynet_clients"], generated.truth_links)
    load_file(wh, sources["oakland_pd"], generated.files["oakland_pd"], generated.truth_links)
    extract = read_extract(generated.files[SOURCE], sources[SOURCE])
    links = true_links(extract, generated.truth_links)
    # a person's decisions about records of this very delivery: they must survive every kill
    truth = links.head(3)
    for rec, client, decision in zip(
        truth["record_id"], truth["client_id"], ["same_person", "not_this_person", "same_person"], strict=True
    ):
        add_decision(wh, rec, client, decision, source=SOURCE)
    # and some uncertain links, so review items are opened by the load
    others = extract.persons()["record_id"].astype(str)
    others = others[~others.isin(links["record_id"])].head(5)
    review = links.head(5).assign(record_id=others.to_numpy(), score=0.7, decision="review")
    links = pd.concat([links, review], ignore_index=True)
    delivery_id = record(wh, extract)
    wh.dispose()
    return delivery_id, extract, links


def _count_statements(url: str, delivery_id: int, extract, links) -> tuple[int, float]:
    wh = Warehouse(url)
    n = [0]
    event.listen(wh.engine, "before_cursor_execute", lambda *a: n.__setitem__(0, n[0] + 1))
    started = time.perf_counter()
    wh.load_delivery(delivery_id, extract, links)
    took = time.perf_counter() - started
    wh.dispose()
    return n[0], took


def _run_kills(
    copy: Callable[[], contextmanager],
    delivery_id: int,
    extract,
    links,
    before: dict,
    after: dict,
    statements: int,
    took: float,
    seed: int,
) -> dict[str, int]:
    rng = random.Random(seed)
    points = sorted(rng.sample(range(1, statements + 1), min(STATEMENT_KILLS, statements)))
    plan = [("statement", p) for p in points] + [
        ("random", rng.uniform(0, took * 1.5)) for _ in range(RANDOM_KILLS)
    ]
    seen = {"before": 0, "after": 0}
    decisions = before["review_decisions"]
    for how, point in plan:
        with copy() as url:
            child = FORK.Process(
                target=_child, args=(url, delivery_id, extract, links, point if how == "statement" else None)
            )
            child.start()
            if how == "random":
                time.sleep(point)
                if child.is_alive():
                    os.kill(child.pid, signal.SIGKILL)
            child.join(60)
            assert child.exitcode is not None, "the loader hung"
            state = fingerprint(url)
        assert state["review_decisions"] == decisions, f"review decisions changed ({how} kill at {point})"
        if state == before:
            seen["before"] += 1
        elif state == after:
            seen["after"] += 1
        else:
            differ = sorted(t for t in state if state[t] not in (before[t], after[t]))
            pytest.fail(f"{how} kill at {point}: a state that is neither before nor after ({differ})")
    seen["kill_points"] = len(plan)
    return seen


def _report(record_property, backend: str, seen: dict, statements: int) -> None:
    record_property(f"kill_points_{backend}", seen["kill_points"])
    print(
        f"\nkill test {backend}: {seen['kill_points']} kill points over a {statements}-statement load; "
        f"{seen['before']} left the state before, {seen['after']} after"
    )


def test_sigkill_during_load_sqlite(generated, tmp_path: Path, record_property) -> None:
    base = tmp_path / "before.db"
    delivery_id, extract, links = _prepare(f"sqlite:///{base}", generated)
    before = fingerprint(f"sqlite:///{base}")
    done = tmp_path / "after.db"
    shutil.copy(base, done)
    statements, took = _count_statements(f"sqlite:///{done}", delivery_id, extract, links)
    after = fingerprint(f"sqlite:///{done}")
    assert after != before and statements > 20

    @contextmanager
    def copy() -> Iterator[str]:
        target = tmp_path / f"kill_{uuid.uuid4().hex[:8]}.db"
        shutil.copy(base, target)
        try:
            yield f"sqlite:///{target}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)

    seen = _run_kills(copy, delivery_id, extract, links, before, after, statements, took, seed=6)
    _report(record_property, "sqlite", seen, statements)
    assert seen["before"] > 0 and seen["kill_points"] >= 20


@pytest.mark.postgres
def test_sigkill_during_load_postgres(
    generated, postgres_server: str, postgres_url: str, record_property
) -> None:
    delivery_id, extract, links = _prepare(postgres_url, generated)
    before = fingerprint(postgres_url)
    template = sa.engine.make_url(postgres_url).database
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")

    @contextmanager
    def copy() -> Iterator[str]:
        name = f"{template}_k{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        try:
            yield sa.engine.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    try:
        with copy() as done:
            statements, took = _count_statements(done, delivery_id, extract, links)
            after = fingerprint(done)
        assert after != before and statements > 20
        seen = _run_kills(copy, delivery_id, extract, links, before, after, statements, took, seed=7)
    finally:
        admin.dispose()
    _report(record_property, "postgresql", seen, statements)
    assert seen["before"] > 0 and seen["kill_points"] >= 20
