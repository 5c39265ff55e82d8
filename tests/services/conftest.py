"""Service tests run on a SQLite file and on a real PostgreSQL database: what a showroom's file
does, a dealer group's server must do the same."""

import pytest


@pytest.fixture
def database(either_database):
    return either_database
