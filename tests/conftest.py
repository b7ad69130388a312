"""Shared fixtures: warehouse URLs on SQLite and PostgreSQL, and seeded synthetic deliveries.

PostgreSQL tests need a server (``SAFETYNET_TEST_POSTGRES_URL``, default the local ``test``
database). Without one they skip with the reason shown, unless ``SAFETYNET_REQUIRE_POSTGRES=1``
(CI), where a missing server fails them instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_admin_url() -> str:
    return os.environ.get("SAFETYNET_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def _postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    try:
        engine = sa.create_engine(_postgres_admin_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any driver/connection error means "no server"
        return f"PostgreSQL not reachable at SAFETYNET_TEST_POSTGRES_URL ({type(exc).__name__})"


def require_or_skip(reason: str | None, env_var: str) -> None:
    if reason is None:
        return
    if os.environ.get(env_var) == "1":
        pytest.fail(f"{reason}, and {env_var}=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def totp_key_file(tmp_path_factory) -> Iterator[Path]:
    """Review accounts' TOTP secrets are encrypted with a key outside the database: the tests' key
    file lives in a temporary folder (never the repository's var/), for subprocesses too."""
    from warehouse.totp_keys import BOX, KEY_FILE_ENV

    path = tmp_path_factory.mktemp("keys") / "totp.keys"
    before = os.environ.get(KEY_FILE_ENV)
    os.environ[KEY_FILE_ENV] = str(path)
    BOX.forget()
    yield path
    if before is None:
        os.environ.pop(KEY_FILE_ENV, None)
    else:
        os.environ[KEY_FILE_ENV] = before
    BOX.forget()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable PostgreSQL server (skip or fail otherwise)."""
    require_or_skip(_postgres_unavailable(), "SAFETYNET_REQUIRE_POSTGRES")
    return _postgres_admin_url()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"safetynet_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest) -> str:
    """The same test on the embedded SQLite warehouse and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory):
    """One small seeded synthetic delivery set, shared read-only by every test of the session.

    Generated once per test session even under pytest-xdist: the first worker writes it (under a
    file lock) into the session's shared temporary root, the others read it back from there.
    Tests that change files must copy them first (see ``landing_copy``).
    """
    return _shared_once(tmp_path_factory, "generated", _generate_small_set)


def _generate_small_set(out: Path):
    from datetime import date

    from synthetic import generate

    return generate(out, seed=7, clients=120, scale=8, as_of=date(2026, 11, 16))


def _shared_once(tmp_path_factory: pytest.TempPathFactory, name: str, build):
    """``build(folder)`` once per session across xdist workers; its (picklable) result, for every worker."""
    import pickle

    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the basetemp every worker of this session shares
    folder = root / f"shared-{name}"
    done = root / f"shared-{name}.pickle"
    with FileLock(str(root / f"shared-{name}.lock")):
        if done.is_file():
            return pickle.loads(done.read_bytes())
        result = build(folder)
        done.write_bytes(pickle.dumps(result))
        return result


@pytest.fixture
def landing_copy(generated, tmp_path: Path) -> Path:
    """A private, writable copy of the generated landing zone."""
    import shutil

    dest = tmp_path / "landing"
    shutil.copytree(generated.landing_dir, dest)
    return dest


@pytest.fixture
def wh(warehouse_url: str):
    """An empty, migrated warehouse on SQLite and on PostgreSQL."""
    from warehouse import Warehouse

    warehouse = Warehouse(warehouse_url)
    warehouse.migrate()
    yield warehouse
    warehouse.dispose()


@pytest.fixture
def with_clients(wh):
    """``wh`` with the small client list of tests/warehouse_data.py loaded."""
    from tests.warehouse_data import CLIENTS, extract, record

    ex = extract("safetynet_clients", "safetynet_clients", {"clients": CLIENTS})
    wh.load_clients(record(wh, ex), ex)
    return wh
