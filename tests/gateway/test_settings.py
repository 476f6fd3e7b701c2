"""Settings refuse missing or development secrets outside development; departments load."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from quancheng_gateway.core.config import DEV_PSEUDONYM_KEY, GatewaySettings, SettingsError
from quancheng_gateway.process import settings_env
from quancheng_gateway.resources import (
    DepartmentLoadError,
    UnsafeValue,
    check_json_safe,
    load_department,
)


def test_production_refuses_missing_secrets() -> None:
    with pytest.raises(SettingsError, match="QC_GW_CHAIN_PRIVATE_KEY"):
        GatewaySettings(department="x:y", environment="production")


def test_production_refuses_the_development_pseudonym_key() -> None:
    with pytest.raises(SettingsError, match="development pseudonym key"):
        GatewaySettings(
            department="x:y",
            sm2_key_pem="pem",
            chain_private_key="0x01",
            pseudonym_key=DEV_PSEUDONYM_KEY,
        )


def test_development_runs_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QC_GW_DEPARTMENT", "tests.gateway.department:vehicle")
    monkeypatch.setenv("QC_GW_ENVIRONMENT", "development")
    s = GatewaySettings()  # type: ignore[call-arg]
    assert s.pseudonym_key_bytes() == bytes.fromhex(DEV_PSEUDONYM_KEY)
    assert s.load_sm2_key() is not None
    assert s.websocket_url() == "ws://127.0.0.1:8545"
    env = settings_env(s)
    assert env["QC_GW_DEPARTMENT"] == "tests.gateway.department:vehicle"
    assert env["QC_GW_USE_WEBSOCKET"] == "true"


def test_short_pseudonym_keys_are_refused() -> None:
    s = GatewaySettings(department="x:y", environment="development", pseudonym_key="00ff")
    with pytest.raises(SettingsError, match="16 bytes"):
        s.pseudonym_key_bytes()


def test_departments_load_by_import_path() -> None:
    dept = load_department("tests.gateway.department:vehicle")
    assert dept.provider == "jinan.vmo"
    with pytest.raises(DepartmentLoadError):
        load_department("tests.gateway.department")
    with pytest.raises(DepartmentLoadError):
        load_department("tests.gateway.department:nothing_here")


@pytest.mark.parametrize("value", [1.5, {"a": [1, 2.0]}, 2**60, b"x", {1: "a"}])
def test_handler_values_must_be_json_safe(value: object) -> None:
    with pytest.raises(UnsafeValue):
        check_json_safe(value)
    check_json_safe({"n": 1, "s": "鲁A", "l": [True, None], "d": {"x": -(2**53 - 1)}})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("QC_GW_BATCH_SIZE", "0"),
        ("QC_GW_BATCH_MAX_RECEIPTS", "0"),
        ("QC_GW_BATCH_MAX_RECEIPTS", "-5"),
        ("QC_GW_BATCH_MAX_RECEIPTS", "4k"),
        ("QC_GW_MAX_BACKLOG", "0"),
    ],
)
def test_batch_and_backlog_bounds_refuse_values_that_are_not_positive_counts(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    """A bound an operator mistyped stops the gateway at start, naming the setting."""
    monkeypatch.setenv("QC_GW_DEPARTMENT", "tests.gateway.department:vehicle")
    monkeypatch.setenv("QC_GW_ENVIRONMENT", "development")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        GatewaySettings()  # type: ignore[call-arg]
    assert [e["loc"] for e in caught.value.errors()] == [(name.removeprefix("QC_GW_").lower(),)]
