"""Shared fixtures: real SQLite files in tmp dirs, a fixed clock, a small demo showroom."""

from __future__ import annotations

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


@pytest.fixture
def database(tmp_path):
    """A fresh carcrm database file, bound to the models for the test."""
    path = tmp_path / "carcrm.sqlite"
    db = store_db.connect(path)
    yield db
    store_db.close()


@pytest.fixture
def demo_path(tmp_path):
    """A small demo showroom built at the fixed clock (deterministic)."""
    from carcrm_tui.demo.build import build

    path = tmp_path / "demo.sqlite"
    build(path, NOW, customers=160, seed=7)
    return path


@pytest.fixture
def demo(demo_path):
    db = store_db.connect(demo_path)
    yield db
    store_db.close()


def session_for(name: str, policy: Policy | None = None, at=NOW) -> Session:
    return Session(actor=accounts.find(name), policy=policy or Policy(), clock=fixed_clock(at))


@pytest.fixture(autouse=True)
def english():
    set_language("en")
    yield
    set_language("en")
