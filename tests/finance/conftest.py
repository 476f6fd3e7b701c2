"""The finance departments' tables of one small world, loaded once per session."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from quancheng_datagen import DemoCast, demo_cast
from quancheng_finance.departments import DEPARTMENTS
from tests.insurance.helpers import BUSINESSES, PEOPLE, SEED, populated_engine


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """SQLite with 税务, 人社, 公积金, 水电气 and 市场监管 records of 200 people, 20 firms."""
    return populated_engine(tmp_path_factory.mktemp("finance") / "world.db", DEPARTMENTS)


@pytest.fixture(scope="session")
def cast() -> DemoCast:
    """The demo's scripted subjects in the test world."""
    return demo_cast(SEED, people=PEOPLE, businesses=BUSINESSES)
