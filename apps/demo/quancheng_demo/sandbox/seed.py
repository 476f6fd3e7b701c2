"""The sandbox's seeded owners and grants: something for a bank's and an insurer's code to query.

A few citizens and enterprises of the demo cast (their records are in the departments' data)
are real-name checked by the identity authority, which attests a fresh wallet key of each on
chain. The bank and the insurer each hold one ACTIVE grant (asked, signed by the owner,
relayed by the authority) and one PENDING grant (asked; the owner has not decided). The
owners' wallet keys are written as PEM — the portal's key backup format — so the engineer can
act as an owner too: import the key in the portal and approve the pending request.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from quancheng import ConsumerClient, OwnerWallet
from quancheng.authority import IdentityAuthority
from quancheng_appkit.decision import GrantTemplate
from quancheng_datagen import DEFAULT_AS_OF, DemoCast
from quancheng_demo.sandbox.records import ScopeEntry, SeededAttestation, SeededGrant, SeededOwner
from quancheng_demo.stack import DemoStack
from quancheng_finance.credit.templates import GRANT_TEMPLATES as CREDIT_TEMPLATES
from quancheng_insurance.claims.templates import GRANT_TEMPLATES as CLAIM_TEMPLATES

__all__ = ["CONSUMERS", "GRANTS", "OWNERS", "seed"]

#: The consumers an SDK user plays: alias → consortium code.
CONSUMERS: dict[str, str] = {"bank": "bank.quancheng", "insurer": "ins.qilu"}
#: Cast roles seeded as owners: persons, then enterprises.
OWNERS: tuple[tuple[str, Literal["person", "enterprise"]], ...] = (
    ("motor_claimant", "person"),
    ("inpatient", "person"),
    ("arrears", "person"),
    ("sme_owner", "person"),
    ("sme_good", "enterprise"),
    ("sme_bad", "enterprise"),
)
#: A grant's validity, and its budget of queries per resource (room to run examples often).
VALID_FOR = timedelta(days=365)
MAX_USES = 1000


@dataclass(frozen=True)
class GrantPlan:
    """A grant to seed: who asks whom for what, and whether the owner approves it."""

    consumer: str  # an alias of CONSUMERS
    owner: str  # a cast role
    template: GrantTemplate
    approve: bool


GRANTS: tuple[GrantPlan, ...] = (
    GrantPlan("bank", "sme_good", CREDIT_TEMPLATES["sme_credit"], approve=True),
    GrantPlan("bank", "arrears", CREDIT_TEMPLATES["personal_credit"], approve=False),
    GrantPlan("insurer", "inpatient", CLAIM_TEMPLATES["medical_claim"], approve=True),
    GrantPlan("insurer", "motor_claimant", CLAIM_TEMPLATES["motor_claim"], approve=False),
)


def seed(
    stack: DemoStack, cast: DemoCast, keys_dir: Path, *, as_of: date = DEFAULT_AS_OF
) -> tuple[list[SeededOwner], list[SeededGrant]]:
    """Attest the owners' keys, then ask (and partly approve) the grants of :data:`GRANTS`."""
    assert stack.consortium is not None
    authority = IdentityAuthority(
        stack.institution("jinan.bdb"), stack.consortium.pseudonym_key,
        stack.manifest_path, stack.rpc_url,
    )  # fmt: skip
    keys_dir.mkdir(parents=True, exist_ok=True)
    wallets: dict[str, OwnerWallet] = {}
    owners = []
    for role, kind in OWNERS:
        wallets[role] = OwnerWallet.generate()
        owners.append(_attest(authority, cast, role, kind, wallets[role], keys_dir))
    names = {o.role: o.name for o in owners}
    grants = []
    for alias, code in CONSUMERS.items():
        # Seeding keeps no evidence: the consumer's evidence is the SDK user's own.
        with ConsumerClient(
            stack.institution(code), stack.manifest_path, stack.rpc_url,
            tls=stack.tls_for(code) if stack.tls else None, evidence=False,
        ) as client:  # fmt: skip
            for plan in (g for g in GRANTS if g.consumer == alias):
                owner = wallets[plan.owner], names[plan.owner]
                grants.append(_grant(client, authority, owner, plan, as_of))
    return owners, grants


def _attest(
    authority: IdentityAuthority,
    cast: DemoCast,
    role: str,
    kind: Literal["person", "enterprise"],
    wallet: OwnerWallet,
    keys_dir: Path,
) -> SeededOwner:
    """The authority's real-name check stands in here: it attests the wallet's key."""
    if kind == "person":
        person = cast.people[role]
        name, id_kind, identifier = person.name, "resident_id", person.id_number
    else:
        business = cast.businesses[role]
        name, id_kind, identifier = business.name, "uscc", business.uscc
    attestation = authority.attest_document(wallet.public_key, id_kind, identifier)
    wallet.bind(attestation.pseudonym)
    key_file = keys_dir / f"{role}.pem"
    wallet.save(key_file)
    return SeededOwner(
        role=role, kind=kind, name=name, id_kind=id_kind,  # type: ignore[arg-type]
        identifier=identifier, pseudonym="0x" + attestation.pseudonym.hex(),
        public_key=wallet.public_key_hex, wallet_key_file=key_file,
        attestation=SeededAttestation(
            document=attestation.document.model_dump(mode="json"),
            signature_b64=base64.b64encode(attestation.signature).decode("ascii"),
            tx_hash=attestation.tx_hash,
        ),
    )  # fmt: skip


def _grant(
    client: ConsumerClient,
    authority: IdentityAuthority,
    owner: tuple[OwnerWallet, str],
    plan: GrantPlan,
    as_of: date,
) -> SeededGrant:
    """The consumer asks; when the plan says so, the owner signs and the authority relays."""
    (wallet, owner_name), template = owner, plan.template
    data_from = as_of - timedelta(days=template.period_days)
    handle = client.request_grant(
        wallet.pseudonym, wallet.public_key, template.scope, template.purpose, template.mode,
        data_from, as_of, valid_for=VALID_FOR, max_uses=MAX_USES,
    )  # fmt: skip
    if plan.approve:
        authority.relay_approval(handle.grant_id, wallet.approve(handle.document))
        client.wait_for_grant(handle.grant_id, timeout=30)
    return SeededGrant(
        grant_id=handle.grant_id_hex, consumer=plan.consumer,
        consumer_code=CONSUMERS[plan.consumer], owner=plan.owner, owner_name=owner_name,
        template=template.key, title=template.title, purpose=template.purpose.name,
        mode=str(template.mode.value), status="ACTIVE" if plan.approve else "PENDING",
        max_uses=MAX_USES, data_from=data_from, data_to=as_of,
        scope=[ScopeEntry(resource=i.resource, fields=list(i.fields)) for i in template.scope],
    )  # fmt: skip
