"""An owner sees every change of its key binding; the wallet signs with the chain's seq."""

from __future__ import annotations

from quancheng.chain import GrantStatus
from quancheng.chain.owner_logs import owner_key_history
from quancheng.client import ConsumerClient
from quancheng.crypto import SM2PrivateKey
from quancheng.protocol import GrantAction
from quancheng.wallet import OwnerWallet
from tests.sdk.client.conftest import World
from tests.utils.sdk_factories import approved_grant, resident_id


def test_key_history_lists_binding_rebinding_and_revocation_with_the_authority(
    world: World,
) -> None:
    authority = world.authority
    number = resident_id()
    first, second = SM2PrivateKey.generate(), SM2PrivateKey.generate()
    pseudonym = authority.attest(first.public_key(), "resident_id", number)
    authority.attest(second.public_key(), "resident_id", number)
    authority.revoke_attestation(pseudonym, "lost")

    history = owner_key_history(authority.contracts, pseudonym)

    assert [e.kind for e in history] == ["bound", "rebound", "revoked"]
    assert {e.authority for e in history} == {authority.institution.code}
    assert history[1].previous_key == "0x" + first.public_key().to_bytes().hex()
    assert history[1].public_key == "0x" + second.public_key().to_bytes().hex()
    assert history[1].key_version == 2 and history[2].reason == "lost"
    assert [e.timestamp for e in history] == sorted(e.timestamp for e in history)


def test_wallet_decide_reads_the_digest_and_sequence_from_chain(
    world: World, client: ConsumerClient, wallet: OwnerWallet
) -> None:
    handle = approved_grant(client, wallet, world.authority, {world.resource: ["plate"]})
    for action, status in ((GrantAction.PAUSE, GrantStatus.PAUSED),
                           (GrantAction.RESUME, GrantStatus.ACTIVE)):  # fmt: skip
        document, signature = wallet.decide(client, action, handle.grant_id)
        assert document.seq == world.net.contracts.decision_seq(handle.grant_id)
        world.authority.relay_action(document, signature)
        assert client.grant_status(handle.grant_id) is status
