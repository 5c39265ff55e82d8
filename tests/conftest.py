"""Shared fixtures: real SQLite files in tmp dirs, a real PostgreSQL database, a fixed clock,
a small demo showroom.

The PostgreSQL half needs a server (scripts/postgres-for-tests starts one; CARCRM_TEST_PG_URL
points elsewhere). One fresh database is created per run and emptied between tests; where no
server answers, those tests are skipped and the run's summary says so.
"""

from __future__ import annotations

import os
import uuid

import pendulum
import pytest

from carcrm_tui.domain.policy import Policy
from carcrm_tui.i18n import set_language
from carcrm_tui.services.session import Session, fixed_clock
from carcrm_tui.services import accounts
from carcrm_tui.store import db as store_db

# Tuesday 10 March 2026, 10:30 in Shanghai
NOW = pendulum.datetime(2026, 3, 10, 2, 30, tz="UTC")


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def policy():
    return Policy()


PG_ADMIN_URL = os.environ.get("CARCRM_TEST_PG_URL",
                              "postgresql://carcrm_test:carcrm_test@localhost:5432/postgres")
_pg_skipped: list[str] = []


def _pg_connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=3)


@pytest.fixture(scope="session")
def pg_server():
    """The admin URL of a PostgreSQL server, or the PostgreSQL half is skipped (and said so)."""
    try:
        _pg_connect(PG_ADMIN_URL).close()
    except Exception as e:  # no driver, no server, no role
        reason = f"no PostgreSQL server at {PG_ADMIN_URL.split('@')[-1]} ({type(e).__name__})"
        _pg_skipped.append(reason)
        pytest.skip(reason)
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def pg_url(pg_server):
    """A fresh database for this run; dropped at the end."""
    name = f"carcrm_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with _pg_connect(pg_server) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with _pg_connect(pg_server) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def empty_pg(db) -> None:
    """Every table emptied and its ids restarted: each test starts from a new database's state."""
    from carcrm_tui.store.migrations import add_default_showroom

    tables = [t for t in db.get_tables() if t != "schema_version"]
    if tables:
        db.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    add_default_showroom(db)  # as a new database has it


@pytest.fixture
def pg_database(pg_url):
    db = store_db.connect(pg_url)
    empty_pg(db)
    yield db
    store_db.close()


def pytest_terminal_summary(terminalreporter):
    if _pg_skipped:
        terminalreporter.write_sep("=", "PostgreSQL half skipped", yellow=True)
        terminalreporter.write_line(f"{_pg_skipped[0]}: the tests on a real PostgreSQL server did not run. "
                                    "Run scripts/postgres-for-tests (as root) or set CARCRM_TEST_PG_URL.")


@pytest.fixture
def database(tmp_path):
    """A fresh carcrm database file, bound to the models for the test."""
    path = tmp_path / "carcrm.sqlite"
    db = store_db.connect(path)
    yield db
    store_db.close()


@pytest.fixture
def file_database(tmp_path):
    """A SQLite file even where `database` is parametrized (tests that open the file themselves)."""
    db = store_db.connect(tmp_path / "carcrm.sqlite")
    yield db
    store_db.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def either_database(request):
    """The same test on a SQLite file and on a real PostgreSQL database (services and storage)."""
    return request.getfixturevalue("database" if request.param == "sqlite" else "pg_database")


@pytest.fixture
def demo_path(tmp_path):
    """A small demo showroom built at the fixed clock (deterministic)."""
    from carcrm_tui.demo.build import build

    path = tmp_path / "demo.sqlite"
    build(path, NOW, customers=160, seed=7)
    return path


@pytest.fixture
def pg_demo(demo_path, pg_database):
    """The same small demo showroom moved into the PostgreSQL database (as `carcrm copy-to` does)."""
    from carcrm_tui.store import copying

    source = store_db.open_read_only(demo_path)
    try:
        copying.copy(source, pg_database)
    finally:
        source.close()
    return pg_database


@pytest.fixture
def trusting_config(tmp_path, demo_path):
    """A site whose policy lets this machine's login in without a PIN, as the manager (and an empty
    personal config file, which is what `carcrm serve`'s tabs are given)."""
    import getpass
    import pwd
    import sqlite3

    logins = {getpass.getuser(), pwd.getpwuid(os.getuid()).pw_name}
    pairs = ", ".join(f'"{login}" = "王建国"' for login in sorted(logins))
    with sqlite3.connect(demo_path) as con:
        con.execute("UPDATE site_policy SET toml = toml || ?", (f"[security]\nos_users = {{ {pairs} }}\n",))
    path = tmp_path / "config.toml"
    path.write_text("", encoding="utf-8")
    return path


@pytest.fixture
def demo(demo_path):
    db = store_db.connect(demo_path)
    yield db
    store_db.close()


def session_for(name: str, policy: Policy | None = None, at=NOW) -> Session:
    return Session(actor=accounts.find(name), policy=policy or Policy(), clock=fixed_clock(at))


@pytest.fixture(autouse=True)
def cheap_pin_hashes(monkeypatch):
    """PINs hashed at the demo's cost in tests: the real cost (half a second a hash, on purpose)
    is asserted by test_auth and timed by `make bench`; the CLI tests run it for real."""
    from carcrm_tui.services import auth

    monkeypatch.setattr(auth, "COST", auth.DEMO_COST)


@pytest.fixture(autouse=True)
def english():
    set_language("en")
    yield
    set_language("en")
