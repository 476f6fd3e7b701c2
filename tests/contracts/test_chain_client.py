"""The SDK's chain client: revert decoding, mined reverts, nonces, events, identifiers."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from quancheng.chain import (
    ChainUnavailable,
    ContractRevert,
    GrantStatus,
    NonceManager,
    TransactionFailed,
    TransactionRejected,
    call,
    code32,
    decode_code32,
    decode_revert,
    make_web3,
    purposes_mask,
    send_transaction,
)
from quancheng.chain import errors as chain_errors
from quancheng.chain.abi import ABIS
from quancheng.chain.errors import (
    ERRORS_BY_NAME,
    ConsortiumRegistryUnknownAccount,
    GrantRegistryNotActive,
    RevertError,
)
from quancheng.chain.types import InvalidCode
from quancheng.errors import ChainError, ConfigError, GrantError
from tests.utils.chain_factories import Member, TestNetwork, fresh_account
from tests.utils.ports import free_port


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


# ------------------------------------------------------------------------ decoding (unit)


def test_every_custom_error_of_every_abi_has_a_class_of_its_name() -> None:
    declared = {e["name"] for abi in ABIS.values() for e in abi if e["type"] == "error"}
    assert set(ERRORS_BY_NAME) == declared
    for name in declared:
        cls = getattr(chain_errors, name)
        assert cls.__name__ == cls.error_name == name
        assert cls.selector == _selector(cls.signature)
        assert issubclass(cls, RevertError)
        expected_base = GrantError if name.startswith("GrantRegistry") else ChainError
        assert issubclass(cls, expected_base)


def test_custom_error_data_decodes_to_typed_attributes() -> None:
    grant_id = b"\x07" * 32
    data = _selector("GrantRegistryNotActive(bytes32,uint8)") + encode(
        ["bytes32", "uint8"], [grant_id, 3]
    )
    error = decode_revert("0x" + data.hex())
    assert type(error) is GrantRegistryNotActive
    assert (error.grant_id, error.status) == (grant_id, GrantStatus.PAUSED)
    assert error.arguments == {"grantId": grant_id, "status": GrantStatus.PAUSED}
    assert str(error) == f"GrantRegistryNotActive(grantId=0x{grant_id.hex()}, status=PAUSED)"
    assert error.code == "GRANT_REGISTRY_NOT_ACTIVE"
    assert error.data == data
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.arguments) == (GrantRegistryNotActive, error.arguments)


def test_codes_show_as_text_in_messages() -> None:
    data = _selector("DataCatalogueUnknownResource(bytes32)") + encode(
        ["bytes32"], [code32("vehicle.status")]
    )
    assert str(decode_revert(data)) == "DataCatalogueUnknownResource(resourceId='vehicle.status')"


def test_addresses_decode_in_checksum_form() -> None:
    data = _selector("ConsortiumRegistryUnknownAccount(address)") + encode(
        ["address"], ["0x" + "ab" * 20]
    )
    error = decode_revert(data)
    assert isinstance(error, ConsortiumRegistryUnknownAccount)
    assert error.account == to_checksum_address("0x" + "ab" * 20) != "0x" + "ab" * 20


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "reverted without data"),
        (bytes.fromhex("08c379a0") + encode(["string"], ["nope"]), "reverted: nope"),
        (bytes.fromhex("4e487b71") + encode(["uint256"], [0x11]), "reverted: panic 0x11"),
        (
            bytes.fromhex("deadbeef") + b"\x00" * 32,
            "reverted with unknown data 0xdeadbeef" + "00" * 32,
        ),
    ],
    ids=["empty", "error-string", "panic", "unknown-selector"],
)
def test_other_revert_data_becomes_contract_revert(data: bytes, message: str) -> None:
    error = decode_revert(data)
    assert type(error) is ContractRevert
    assert str(error) == message and error.data == data
    assert isinstance(error, ChainError)


def test_truncated_custom_error_data_becomes_contract_revert() -> None:
    data = _selector("GrantRegistryNotActive(bytes32,uint8)") + b"\x01" * 10
    assert type(decode_revert(data)) is ContractRevert


def test_unknown_names_are_not_importable() -> None:
    with pytest.raises(AttributeError):
        chain_errors.GrantRegistryNoSuchError  # noqa: B018


# ----------------------------------------------------------------------- against the node


def test_mined_transaction_with_status_zero_is_replayed_for_its_error(
    net: TestNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node that mines a failing transaction without erroring on send (as BFT clients do)."""
    stranger = fresh_account(net)
    fn = net.registry.functions.proposeThreshold(1)
    block = net.w3.eth.block_number

    def failed_receipt(tx_hash: Any, **_: Any) -> dict[str, Any]:
        return {"status": 0, "blockNumber": block, "transactionHash": tx_hash}

    monkeypatch.setattr(net.w3.eth, "send_raw_transaction", lambda raw: b"\x11" * 32)
    monkeypatch.setattr(net.w3.eth, "wait_for_transaction_receipt", failed_receipt)
    with pytest.raises(ConsortiumRegistryUnknownAccount) as exc:
        send_transaction(net.w3, stranger, fn, gas=200_000)
    assert exc.value.account == stranger.address


def test_mined_failure_that_does_not_replay_is_reported(
    net: TestNetwork, provider: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = net.w3.eth.block_number
    monkeypatch.setattr(net.w3.eth, "send_raw_transaction", lambda raw: b"\x22" * 32)
    monkeypatch.setattr(
        net.w3.eth, "wait_for_transaction_receipt",
        lambda tx_hash, **_: {"status": 0, "blockNumber": block, "transactionHash": tx_hash},
    )  # fmt: skip
    succeeds = {"to": net.catalogue.address, "data": net.catalogue.encode_abi("version", [])}
    with pytest.raises(TransactionFailed) as exc:
        send_transaction(net.w3, provider.account, succeeds, gas=50_000)  # type: ignore[arg-type]
    assert exc.value.tx_hash == "0x" + "22" * 32 and exc.value.block_number == block


def test_nonce_manager_recovers_when_another_client_used_the_account(net: TestNetwork) -> None:
    account = fresh_account(net)
    mine, theirs = NonceManager(), NonceManager()
    send_transaction(net.w3, account, {"to": account.address, "data": b""}, gas=21_000, nonces=mine)
    send_transaction(
        net.w3, account, {"to": account.address, "data": b""}, gas=21_000, nonces=theirs
    )
    # `mine` still thinks the next nonce is 1; the node says 2: one retry fixes it.
    send_transaction(net.w3, account, {"to": account.address, "data": b""}, gas=21_000, nonces=mine)
    assert net.w3.eth.get_transaction_count(account.address) == 3


def test_sender_without_funds_is_rejected_by_the_node(net: TestNetwork) -> None:
    poor = fresh_account(net, funded=False)
    for gas in (None, 21_000):  # refused at estimation, and at sending
        with pytest.raises(TransactionRejected, match="enough funds") as exc:
            send_transaction(net.w3, poor, {"to": poor.address, "data": b""}, value=1, gas=gas)
        assert not isinstance(exc.value, RevertError)


def test_unreachable_node_is_reported_as_unavailable(net: TestNetwork) -> None:
    w3 = make_web3(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(ChainUnavailable):
        send_transaction(w3, net.funder, {"to": net.funder.address, "data": b""}, gas=21_000)
    with pytest.raises(ChainUnavailable):
        call(
            w3.eth.contract(
                address=net.registry.address, abi=net.registry.abi
            ).functions.threshold()
        )


def test_events_of_other_contracts_are_ignored(net: TestNetwork) -> None:
    receipt = send_transaction(
        net.w3, net.funder, {"to": net.funder.address, "data": b""}, gas=21_000
    )
    assert net.contracts.decode_events(receipt) == []


def test_web3_factory_drops_validation_middleware(net: TestNetwork) -> None:
    w3 = make_web3(net.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    names = [name for _, name in w3.middleware_onion.middleware]
    assert "validation" not in names
    assert w3.eth.chain_id == net.w3.eth.chain_id


# ---------------------------------------------------------------------------- identifiers


def test_codes_pack_left_aligned_and_round_trip() -> None:
    packed = code32("vehicle.registration")
    assert packed == b"vehicle.registration" + b"\x00" * 12
    assert decode_code32(packed) == "vehicle.registration"
    assert decode_code32(b"\x01" * 32) is None
    assert decode_code32(b"ab\x00c" + b"\x00" * 28) is None


@pytest.mark.parametrize("bad", ["", "x" * 33, "with space", "车管所"])
def test_invalid_codes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidCode):
        code32(bad)


def test_purposes_mask_sets_one_bit_per_code() -> None:
    assert purposes_mask(1, 3) == 0b1010
    for bad in (0, 256):
        with pytest.raises(ConfigError):
            purposes_mask(bad)
