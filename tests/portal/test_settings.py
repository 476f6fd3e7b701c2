"""The portal's settings refuse missing or development secrets outside development."""

from __future__ import annotations

from pathlib import Path

import pytest

from quancheng.crypto import SM2PrivateKey
from quancheng_portal.core.config import DEV_PSEUDONYM_KEY, PortalSettings, SettingsError
from quancheng_portal.core.people import BUILTIN_PEOPLE, load_people, resident_id_check_digit

CHAIN_KEY = "0x" + "11" * 32


def test_production_refuses_to_start_without_its_keys() -> None:
    with pytest.raises(SettingsError, match="QC_PORTAL_PSEUDONYM_KEY"):
        PortalSettings(
            environment="production", authority_sm2_key_pem="x", authority_chain_key=CHAIN_KEY
        )
    with pytest.raises(SettingsError, match="AUTHORITY_SM2_KEY"):
        PortalSettings(environment="test", authority_chain_key=CHAIN_KEY, pseudonym_key="ab" * 16)


def test_the_development_pseudonym_key_is_refused_outside_development() -> None:
    with pytest.raises(SettingsError, match="development pseudonym key"):
        PortalSettings(environment="production", authority_sm2_key_pem="x",
                       authority_chain_key=CHAIN_KEY, pseudonym_key=DEV_PSEUDONYM_KEY)  # fmt: skip


def test_explicit_keys_load_and_cookies_are_secure_in_production() -> None:
    pem = SM2PrivateKey.generate().to_pem().decode()
    settings = PortalSettings(environment="production", authority_sm2_key_pem=pem,
                              authority_chain_key=CHAIN_KEY, pseudonym_key="ab" * 16)  # fmt: skip
    institution, key = settings.load_authority()
    assert (institution.code, key, settings.cookie_secure) == ("jinan.bdb", b"\xab" * 16, True)
    short = PortalSettings(environment="test", authority_sm2_key_pem=pem,
                           authority_chain_key=CHAIN_KEY, pseudonym_key="abcd")  # fmt: skip
    with pytest.raises(SettingsError, match="16 bytes"):
        short.load_authority()


def test_development_falls_back_to_the_local_consortium(tmp_path: Path) -> None:
    settings = PortalSettings(environment="development", dev_keys_dir=tmp_path)
    institution, key = settings.load_authority()
    assert institution.code == "jinan.bdb" and len(key) == 32
    assert settings.cookie_secure is False


def test_demo_people_have_valid_resident_ids_and_masked_display(tmp_path: Path) -> None:
    for person in BUILTIN_PEOPLE:
        assert resident_id_check_digit(person.resident_id[:17]) == person.resident_id[17]
        assert person.masked_id == person.resident_id[:6] + "********" + person.resident_id[-4:]
    path = tmp_path / "people.json"
    path.write_text(
        '[{"name": "甲", "resident_id": "３７０１０２１９９００１０１１２３x"}]', encoding="utf-8"
    )
    (person,) = load_people(path)
    assert (person.key, person.resident_id) == ("p1", "37010219900101123X")
