"""An invitation's terms: judged against the on-chain catalogue when it arrives, and matched
with the grant request the consumer sends once the owner accepted."""

from __future__ import annotations

from quancheng.chain import ContractSet
from quancheng.chain.types import code32
from quancheng.errors import QuanchengError
from quancheng.protocol.invitations import InvitationDocument
from quancheng.protocol.purposes import covered_purposes
from quancheng.scope_check import (
    ResourceFacts,
    Terms,
    count_problems,
    scope_problems,
    terms_problems,
)
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.grants import GrantView

__all__ = ["matches", "scope_problems_of"]

_OWNER_KIND = {"resident_id": "person", "uscc": "business"}


def scope_problems_of(
    doc: InvitationDocument, contracts: ContractSet, directory: Directory, now: float
) -> list[str]:
    """What keeps the invited grant from being requested (empty when it could be): resources
    the catalogue does not list or has deactivated, a purpose a resource does not allow, names
    it does not have or in the wrong mode, a subject of the other kind, terms out of bounds.
    Each as ``CODE: explanation``."""
    pairs = [(item.resource, item.fields) for item in doc.scope]
    found: list[str] = []
    facts: dict[str, ResourceFacts] = {}
    for resource, _ in pairs:
        known = directory.facts(resource)
        if known is None:
            found.append(f"RESOURCE_NOT_IN_CATALOGUE: {resource}")
            continue
        facts[resource] = known
        try:
            record = contracts.resource(code32(resource))
        except QuanchengError:
            found.append(f"RESOURCE_NOT_IN_CATALOGUE: {resource}")
            continue
        if not record.active:
            found.append(f"RESOURCE_INACTIVE: {resource}")
        if not any(record.allows(int(p)) for p in covered_purposes(int(doc.purpose))):
            found.append(
                f"PURPOSE_NOT_ALLOWED: {resource} allows no purpose {int(doc.purpose)} covers"
            )
    start = int(now)
    terms = Terms(doc.max_uses, start, start + doc.valid_for_s, doc.data_from, doc.data_to, start)
    problems = [
        *count_problems(pairs),
        *scope_problems(pairs, doc.mode.value, facts, _OWNER_KIND[doc.subject.id_kind]),
        *terms_problems(terms),
    ]
    found.extend(f"{p.code}: {p}" for p in problems)
    return found


def matches(doc: InvitationDocument, grant: GrantView) -> bool:
    """Whether a grant request carries exactly the invited terms (its owner aside)."""
    scope = sorted((s.resource, tuple(s.fields)) for s in grant.scope)
    invited = sorted((s.resource, tuple(s.fields)) for s in doc.scope)
    return (
        grant.consumer == doc.consumer
        and grant.purpose == int(doc.purpose)
        and grant.mode == doc.mode.value
        and scope == invited
        and (grant.data_from, grant.data_to) == (doc.data_from, doc.data_to)
        and grant.max_uses == doc.max_uses
        and grant.not_after - grant.not_before == doc.valid_for_s
    )
