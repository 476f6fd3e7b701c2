"""Institution identities: loaded from files or the environment, checked against the chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from quancheng.client import ConsumerClient
from quancheng.client_errors import MembershipError
from quancheng.crypto import SM2PrivateKey
from quancheng.identity import IdentityError, Institution
from tests.sdk.client.conftest import World
from tests.utils.chain_factories import Member
from tests.utils.sdk_factories import institution_of, make_consumer_client

CHAIN_KEY = "0x" + "11" * 32


@pytest.fixture
def sm2_pem(tmp_path: Path) -> Path:
    path = tmp_path / "sm2.pem"
    path.write_bytes(SM2PrivateKey.generate().to_pem(b"s3cret"))
    return path


def test_institution_loads_an_encrypted_pem_and_a_hex_key_file(
    tmp_path: Path, sm2_pem: Path
) -> None:
    key_file = tmp_path / "chain.key"
    key_file.write_text(CHAIN_KEY + "\n")

    me = Institution.load(
        "bank.jinan", sm2_key=sm2_pem, sm2_password=b"s3cret", chain_key_file=key_file
    )

    assert me.address == Account.from_key(CHAIN_KEY).address
    assert me.id == b"bank.jinan".ljust(32, b"\x00")
    assert me.sm2_public_key == SM2PrivateKey.from_pem(sm2_pem.read_bytes(), b"s3cret").public_key()


def test_institution_loads_a_keystore_and_from_the_environment(
    tmp_path: Path, sm2_pem: Path
) -> None:
    keystore = tmp_path / "keystore.json"
    keystore.write_text(
        json.dumps(Account.encrypt(bytes.fromhex(CHAIN_KEY[2:]), "pw", iterations=2))
    )
    env = {
        "QC_INSTITUTION_CODE": "insurer.picc",
        "QC_SM2_KEY_FILE": str(sm2_pem),
        "QC_SM2_KEY_PASSWORD": "s3cret",
        "QC_CHAIN_KEY_FILE": str(keystore),
        "QC_CHAIN_KEY_PASSWORD": "pw",
    }

    me = Institution.from_env(env=env)

    assert (me.code, me.address) == ("insurer.picc", Account.from_key(CHAIN_KEY).address)


def test_identity_never_shows_its_secrets(sm2_pem: Path) -> None:
    me = Institution.load(
        "bank.jinan", sm2_key=sm2_pem, sm2_password=b"s3cret", chain_key=CHAIN_KEY
    )
    shown = repr(me) + str(me)

    assert "bank.jinan" in shown
    assert CHAIN_KEY[2:] not in shown
    assert (
        str(me.sm2_key.private_value) not in shown and f"{me.sm2_key.private_value:x}" not in shown
    )


@pytest.mark.parametrize(
    ("kwargs", "what"),
    [
        ({"sm2_key": "/nonexistent/sm2.pem", "chain_key": CHAIN_KEY}, "SM2 key"),
        ({"sm2_key": b"-----BEGIN PRIVATE KEY-----\nAAAA\n", "chain_key": CHAIN_KEY}, "SM2 key"),
        ({"sm2_key": "PEM", "chain_key": "0x1234"}, "chain key"),
        ({"sm2_key": "PEM", "chain_key_file": "/nonexistent/chain.key"}, "chain key"),
        ({"sm2_key": "PEM"}, "chain key"),
    ],
)
def test_unloadable_identity_raises_identity_error_naming_the_part(
    sm2_pem: Path, kwargs: dict[str, object], what: str
) -> None:
    if kwargs["sm2_key"] == "PEM":
        kwargs = {**kwargs, "sm2_key": SM2PrivateKey.generate()}

    with pytest.raises(IdentityError) as caught:
        Institution.load("bank.jinan", **kwargs)  # type: ignore[arg-type]

    assert caught.value.what == what
    assert CHAIN_KEY[2:] not in str(caught.value)


def test_invalid_code_and_missing_variables_are_refused(sm2_pem: Path) -> None:
    with pytest.raises(IdentityError) as caught:
        Institution("Bank Jinan", SM2PrivateKey.generate(), Account.from_key(CHAIN_KEY))
    assert caught.value.what == "code"
    with pytest.raises(IdentityError) as caught:
        Institution.from_env(env={"QC_INSTITUTION_CODE": "bank.jinan"})
    assert caught.value.what == "sm2_key_file"


def test_membership_check_passes_for_the_admitted_consumer_and_fails_for_another_key(
    world: World, consumer: Member
) -> None:
    with make_consumer_client(world.net, world.rpc_url, consumer) as client:
        record = client.check_membership()
    assert record.account == consumer.address

    impostor = institution_of(consumer)
    impostor = Institution(impostor.code, SM2PrivateKey.generate(), impostor.account)
    with (
        ConsumerClient(impostor, world.net.manifest, world.rpc_url) as client,
        pytest.raises(MembershipError) as caught,
    ):
        client.check_membership()
    assert caught.value.reason == "bound to another SM2 key"
