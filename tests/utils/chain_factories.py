"""Factories for tests that need the contracts on a real node.

State persists for the whole session (and the node refuses evm_snapshot/evm_revert), so every
factory makes fresh, unique ids and fresh chain accounts instead of resetting the chain.

Typical use::

    net = deploy_test_network(chain_node.rpc_url, chain_node.dev_private_keys[9])
    provider = admit(net, Role.PROVIDER)
    consumer = admit(net, Role.CONSUMER)
    resource = register_resource(net, provider)
    owner = attest_owner(net)
    grant = request_grant(net, consumer, owner, [resource])
    approve_grant(net, grant)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import TxReceipt

from quancheng.chain import ContractSet, DecodedEvent, make_web3, send_transaction
from quancheng.chain.manifest import Manifest
from quancheng.chain.types import GrantMode, Role, code32, purposes_mask
from quancheng.crypto import SM2PrivateKey, canonical_json, sm3
from quancheng.protocol import (
    AttestationDocument,
    GrantAction,
    GrantActionDocument,
    GrantDocument,
    Purpose,
    ScopeItem,
)
from quancheng.protocol import GrantMode as ProtocolGrantMode
from quancheng_node.deploy import FoundingMember, deploy

#: Wei given to each fresh account (gas is cheap on the local node; this lasts a session).
FUNDING = 10**20
#: Purpose codes used by the tests' resources unless told otherwise.
DEFAULT_PURPOSES = (1, 2)


@dataclass
class Member:
    """An institution as a test drives it: its code, chain account and SM2 key."""

    code: str
    role: Role
    account: LocalAccount
    sm2: SM2PrivateKey

    @property
    def id(self) -> bytes:
        return code32(self.code)

    @property
    def address(self) -> str:
        return str(self.account.address)

    @property
    def sm2_public_key(self) -> bytes:
        return self.sm2.public_key().to_bytes()


@dataclass
class Owner:
    """A data owner: a pseudonym and the SM2 key attested for it."""

    pseudonym: bytes
    sm2: SM2PrivateKey

    @property
    def sm2_public_key(self) -> bytes:
        return self.sm2.public_key().to_bytes()


@dataclass
class TestNetwork:
    """A fresh deployment with its founding committee."""

    __test__ = False  # not a test class, whatever its name

    w3: Web3
    manifest: Manifest
    contracts: ContractSet
    committee: list[Member]
    funder: LocalAccount
    documents: dict[bytes, bytes] = field(default_factory=dict)

    @property
    def registry(self) -> Any:
        return self.contracts.registry

    @property
    def catalogue(self) -> Any:
        return self.contracts.catalogue

    @property
    def owners(self) -> Any:
        return self.contracts.owners

    @property
    def grants(self) -> Any:
        return self.contracts.grants

    @property
    def receipts(self) -> Any:
        return self.contracts.receipts

    def send(self, sender: Member | LocalAccount, fn_call: Any, **kwargs: Any) -> TxReceipt:
        """Send ``fn_call`` signed by ``sender``."""
        account = sender.account if isinstance(sender, Member) else sender
        return send_transaction(self.w3, account, fn_call, **kwargs)

    def events(self, receipt: TxReceipt) -> list[DecodedEvent]:
        """The project's events in ``receipt``, without AccessControl's role events."""
        return [
            e for e in self.contracts.decode_events(receipt)
            if e.name not in {"RoleGranted", "RoleRevoked"}
        ]  # fmt: skip

    def now(self) -> int:
        """Timestamp of the latest block."""
        return int(self.w3.eth.get_block("latest")["timestamp"])


# ------------------------------------------------------------------------------- ids, keys


def unique_code(prefix: str) -> str:
    """A fresh institution/resource code, e.g. ``prov.3fa9c01b``."""
    return f"{prefix}.{secrets.token_hex(4)}"


def sm2_key() -> SM2PrivateKey:
    return SM2PrivateKey.generate()


def fresh_account(net: TestNetwork, *, funded: bool = True) -> LocalAccount:
    """A new chain account, funded by the network's funder."""
    account: LocalAccount = Account.create()
    if funded:
        fund(net, account.address)
    return account


def fund(net: TestNetwork, address: str, amount: int = FUNDING) -> None:
    send_transaction(net.w3, net.funder, {"to": address, "data": b""}, value=amount, gas=21_000)


# --------------------------------------------------------------------------- deployment


def deploy_test_network(
    rpc_url: str,
    funder_private_key: str,
    *,
    committee_size: int = 3,
    threshold: int = 2,
    voting_period: int = 7 * 24 * 3600,
) -> TestNetwork:
    """Deploy the contracts with a fresh founding committee of funded accounts."""
    w3 = make_web3(rpc_url)
    funder: LocalAccount = Account.from_key(funder_private_key)
    members = [
        Member(unique_code("committee"), Role.COMMITTEE, Account.create(), sm2_key())
        for _ in range(committee_size)
    ]
    for m in members:
        send_transaction(w3, funder, {"to": m.address, "data": b""}, value=FUNDING, gas=21_000)
    founders = [
        FoundingMember(
            id=m.code,
            name=f"委员会成员 {m.code}",
            account=m.address,
            sm2_public_key=m.sm2_public_key,
        )
        for m in members
    ]
    manifest = deploy(rpc_url, funder_private_key, founders, threshold, voting_period)
    net = TestNetwork(w3, manifest, ContractSet(w3, manifest), members, funder)
    # Committee member 0 is voted identity authority, as 大数据局 is in the demo.
    pass_proposal(net, net.registry.functions.proposeIdentityAuthority(members[0].id, True))
    return net


# ------------------------------------------------------------------------------ committee


def pass_proposal(net: TestNetwork, propose_call: Any) -> TxReceipt:
    """Propose with committee member 0 and vote with the others until it executes."""
    receipt = net.send(net.committee[0], propose_call)
    proposal_id = net.contracts.decode_events(receipt)[0].args["proposalId"]
    for member in net.committee[1:]:
        if net.contracts.proposal(proposal_id).executed:
            break
        receipt = net.send(member, net.registry.functions.vote(proposal_id))
    return receipt


def admit(
    net: TestNetwork, role: Role, *, code: str | None = None, name: str | None = None
) -> Member:
    """Admit a fresh institution with ``role`` by committee vote."""
    member = Member(code or unique_code(role.name.lower()), role, fresh_account(net), sm2_key())
    pass_proposal(
        net,
        net.registry.functions.proposeAdmission(
            member.id,
            name or f"机构 {member.code}",
            int(role),
            member.address,
            member.sm2_public_key,
        ),
    )
    return member


def suspend(net: TestNetwork, member: Member) -> TxReceipt:
    return pass_proposal(net, net.registry.functions.proposeSuspension(member.id))


def remove(net: TestNetwork, member: Member) -> TxReceipt:
    return pass_proposal(net, net.registry.functions.proposeRemoval(member.id))


# ---------------------------------------------------------------------- registry proposals


def proposal_id(net: TestNetwork, receipt: TxReceipt) -> int:
    """The id of the proposal a propose transaction created."""
    return int(net.contracts.decode_events(receipt)[0].args["proposalId"])


def admission_call(
    net: TestNetwork, member: Member, role: Role = Role.PROVIDER, name: str = "车管所"
) -> Any:
    """The proposeAdmission call for ``member`` (not sent)."""
    return net.registry.functions.proposeAdmission(
        member.id, name, int(role), member.address, member.sm2_public_key
    )


def candidate(net: TestNetwork, role: Role = Role.PROVIDER) -> Member:
    """A fresh institution that is not admitted yet (funded account, new SM2 key)."""
    return Member(unique_code("cand"), role, fresh_account(net), sm2_key())


# ------------------------------------------------------------------------------- catalogue


def register_resource(
    net: TestNetwork,
    provider: Member,
    *,
    code: str | None = None,
    fields: tuple[str, ...] = ("plate", "owner_name", "status"),
    purposes: tuple[int, ...] = DEFAULT_PURPOSES,
    sensitivity: int = 3,
) -> bytes:
    """Register a resource served by ``provider``; returns its id."""
    resource_id = code32(code or unique_code("res"))
    net.send(
        net.committee[0],
        net.catalogue.functions.register(
            resource_id,
            provider.id,
            [code32(f) for f in fields],
            sm3(canonical_json({"fields": list(fields)})),
            sensitivity,
            purposes_mask(*purposes),
            f"https://gateway.example/{provider.code}",
        ),
    )
    return resource_id


# ---------------------------------------------------------------------------------- owners


def attest_owner(net: TestNetwork, *, attester: Member | None = None) -> Owner:
    """Attest a fresh owner key for a fresh pseudonym, as the identity authority does."""
    owner = Owner(secrets.token_bytes(32), sm2_key())
    attester = attester or net.committee[0]
    document = attestation_document(owner.pseudonym, owner.sm2_public_key, attester, net.now())
    net.send(
        attester,
        net.owners.functions.attest(
            owner.pseudonym, owner.sm2_public_key, document, attester.sm2.sign(document)
        ),
    )
    return owner


def attestation_document(pseudonym: bytes, key: bytes, attester: Member, at: int) -> bytes:
    """The canonical protocol attestation document binding ``key`` to ``pseudonym``."""
    return AttestationDocument(
        pseudonym="0x" + pseudonym.hex(),
        owner_key="0x" + key.hex(),
        attester=attester.code,
        attested_at=at,
    ).canonical()


# ---------------------------------------------------------------------------------- grants


def grant_terms(
    net: TestNetwork,
    owner: Owner,
    resources: list[bytes],
    **overrides: Any,
) -> dict[str, Any]:
    """Grant terms (``IGrantRegistry.GrantRequest`` fields) valid from now for an hour."""
    now = net.now()
    terms: dict[str, Any] = {
        "grantId": secrets.token_bytes(32),
        "ownerPseudonym": owner.pseudonym,
        "resourceIds": resources,
        "purpose": 1,
        "dataFrom": now - 365 * 86400,
        "dataTo": now,
        "notBefore": now - 60,
        "notAfter": now + 3600,
        "maxUses": 10,
        "mode": int(GrantMode.RAW),
    }
    terms.update(overrides)
    terms.setdefault("documentDigest", sm3(grant_document(terms)))
    return terms


def grant_document(terms: dict[str, Any]) -> bytes:
    """The canonical grant document of ``terms`` (pseudonyms and codes only)."""
    body = {k: _jsonable(v) for k, v in terms.items() if k != "documentDigest"}
    return canonical_json({"type": "grant", **body})


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def terms_tuple(terms: dict[str, Any]) -> tuple[Any, ...]:
    keys = (
        "grantId", "ownerPseudonym", "resourceIds", "purpose", "dataFrom", "dataTo",
        "notBefore", "notAfter", "maxUses", "mode", "documentDigest",
    )  # fmt: skip
    return tuple(terms[k] for k in keys)


def request_grant(
    net: TestNetwork,
    consumer: Member,
    owner: Owner,
    resources: list[bytes],
    **overrides: Any,
) -> bytes:
    """Request a grant as ``consumer``; returns its id (the document is kept in ``net``)."""
    terms = grant_terms(net, owner, resources, **overrides)
    document = grant_document(terms)
    net.send(
        consumer,
        net.grants.functions.request(terms_tuple(terms), document, consumer.sm2.sign(document)),
    )
    net.documents[terms["grantId"]] = document
    return bytes(terms["grantId"])


def approve_grant(
    net: TestNetwork, grant_id: bytes, owner: Owner, *, relayer: Member | None = None
) -> TxReceipt:
    """Relay the owner's approval (signature over the grant document); any member may relay."""
    document = net.documents[grant_id]
    signature = owner.sm2.sign(document)
    return net.send(
        relayer or net.committee[0], net.grants.functions.approve(grant_id, document, signature)
    )


def action_document(
    net: TestNetwork,
    grant_id: bytes,
    action: str,
    *,
    seq: int | None = None,
    at: int = 1_767_225_600,
) -> tuple[bytes, int, int]:
    """The canonical decision document the contract verifies, with its ``seq`` and ``at``."""
    seq = net.contracts.decision_seq(grant_id) if seq is None else seq
    document = GrantActionDocument(
        action=GrantAction(action),
        grant_id="0x" + grant_id.hex(),
        document_digest="0x" + bytes(net.contracts.grant(grant_id).document_digest).hex(),
        seq=seq,
        at=at,
    ).canonical()
    return document, seq, at


def owner_action(
    net: TestNetwork,
    grant_id: bytes,
    owner: Owner,
    action: str,
    *,
    relayer: Member | None = None,
    seq: int | None = None,
) -> TxReceipt:
    """Relay ``action`` (reject/pause/resume/revoke) signed by the owner; any member may relay."""
    document, seq, at = action_document(net, grant_id, action, seq=seq)
    fn = getattr(net.grants.functions, action)
    return net.send(relayer or net.committee[0], fn(grant_id, seq, at, owner.sm2.sign(document)))


def active_grant(
    net: TestNetwork, consumer: Member, owner: Owner, resources: list[bytes], **overrides: Any
) -> bytes:
    grant_id = request_grant(net, consumer, owner, resources, **overrides)
    approve_grant(net, grant_id, owner)
    return grant_id


# ------------------------------------------------------------------------------------ time


def advance_time(net: TestNetwork, seconds: int) -> int:
    """Move chain time forward (allowed on the journaled node) and mine; returns the new time."""
    net.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    net.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return net.now()


# ------------------------------------------------------------- protocol grant documents


def protocol_grant_document(
    net: TestNetwork,
    consumer: Member,
    owner: Owner,
    resources: list[str],
    *,
    fields: tuple[str, ...],
    max_uses: int,
    valid_s: int = 3600,
) -> GrantDocument:
    """A real protocol grant document (as the SDK builds it), valid from a minute ago."""
    now, today = net.now(), datetime.now(UTC).date()
    return GrantDocument(
        grant_id="0x" + secrets.token_hex(32),
        owner_pseudonym="0x" + owner.pseudonym.hex(),
        owner_key="0x" + owner.sm2_public_key.hex(),
        consumer=consumer.code,
        purpose=Purpose.MOTOR_CLAIM,
        scope=tuple(ScopeItem(resource=r, fields=fields) for r in sorted(resources)),
        mode=ProtocolGrantMode.RAW,
        data_from=(today - timedelta(days=365)).isoformat(),
        data_to=today.isoformat(),
        not_before=now - 60,
        not_after=now + valid_s,
        max_uses=max_uses,
        requested_at=now,
    )


def request_protocol_grant(
    net: TestNetwork, consumer: Member, doc: GrantDocument, emitted: bytes | None = None
) -> TxReceipt:
    """Request ``doc``'s terms and digest as ``consumer``, emitting (and signing) ``emitted``
    (``doc`` itself by default); the emitted bytes are kept in ``net.documents``."""
    emitted = doc.canonical() if emitted is None else emitted
    data_from, data_to = doc.data_period_seconds()
    grant_id = bytes.fromhex(doc.grant_id[2:])
    terms = (
        grant_id, bytes.fromhex(doc.owner_pseudonym[2:]), [code32(i.resource) for i in doc.scope],
        int(doc.purpose), data_from, data_to, doc.not_before, doc.not_after, doc.max_uses,
        0 if doc.mode is ProtocolGrantMode.RAW else 1, sm3(doc.canonical()),
    )  # fmt: skip
    fn = net.grants.functions.request(terms, emitted, consumer.sm2.sign(emitted))
    receipt = net.send(consumer, fn, gas=5_000_000)
    net.documents[grant_id] = emitted
    return receipt
