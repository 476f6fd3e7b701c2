"""The two scenarios, as the people who use the system live them.

An owner is real-name checked by the identity authority, which attests the key of their
wallet; an insurer or a bank asks for a grant shaped by a template; the owner signs it; the
authority relays the signature on chain; the consumer queries the departments' gateways and
decides. Every answer the decision relied on is remembered, to prove its receipt later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from quancheng import ConsumerClient, OwnerWallet
from quancheng.authority import IdentityAuthority
from quancheng.protocol import ScopeItem
from quancheng.verified import VerifiedAnswer
from quancheng_appkit.decision import GrantTemplate


class RecordingClient:
    """A consumer client that remembers every verified answer (to prove receipts later)."""

    def __init__(self, client: ConsumerClient) -> None:
        self.client = client
        self.answers: list[VerifiedAnswer] = []

    def query(
        self,
        grant_id: str,
        resource: str,
        fields: Sequence[str],
        params: Mapping[str, str | int] | None = None,
    ) -> VerifiedAnswer:
        answer = self.client.query(grant_id, resource, list(fields), params=params)
        self.answers.append(answer)
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@dataclass
class Owner:
    """A citizen or an enterprise, with its wallet and pseudonym."""

    label: str
    wallet: OwnerWallet
    grants: dict[str, str] = field(default_factory=dict)  # template key → grant id


def enrol(authority: IdentityAuthority, label: str, id_kind: str, identifier: str) -> Owner:
    """Real-name check (done by the authority) and attestation of a fresh wallet key."""
    wallet = OwnerWallet.generate()
    pseudonym = authority.attest(wallet.public_key, id_kind, identifier)
    wallet.bind(pseudonym)
    return Owner(label, wallet)


def authorize(
    client: ConsumerClient,
    authority: IdentityAuthority,
    owner: Owner,
    template: GrantTemplate,
    *,
    as_of: date,
    max_uses: int = 10,
    scope: Iterable[ScopeItem] | None = None,
) -> str:
    """Consumer asks, owner signs in their wallet, authority relays: an ACTIVE grant.

    ``max_uses`` is a budget per resource: a decision reads each resource of its template
    once, so ten leaves room for the demo's retries and second looks at every resource.
    """
    handle = client.request_grant(
        owner.wallet.pseudonym,
        owner.wallet.public_key,
        tuple(scope) if scope is not None else template.scope,
        template.purpose,
        template.mode,
        as_of - timedelta(days=template.period_days),
        as_of,
        valid_for=timedelta(days=30),
        max_uses=max_uses,
    )
    signature = owner.wallet.approve(handle.document)
    authority.relay_approval(handle.grant_id, signature)
    client.wait_for_grant(handle.grant_id, timeout=30)
    grant_id = "0x" + handle.grant_id.hex()
    owner.grants[template.key] = grant_id
    return grant_id
