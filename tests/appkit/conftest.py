"""Every finance and insurance department's tables of the test world, loaded once per session."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from quancheng_datagen import DemoCast, demo_cast
from quancheng_finance.departments import DEPARTMENTS as FINANCE
from quancheng_insurance.departments import DEPARTMENTS as INSURANCE
from tests.insurance.helpers import BUSINESSES, PEOPLE, SEED, populated_engine


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """SQLite with the records of 200 people and 20 firms at all eight departments."""
    return populated_engine(tmp_path_factory.mktemp("appkit") / "world.db", (*FINANCE, *INSURANCE))


@pytest.fixture(scope="session")
def cast() -> DemoCast:
    """The demo's scripted subjects in the test world."""
    return demo_cast(SEED, people=PEOPLE, businesses=BUSINESSES)
