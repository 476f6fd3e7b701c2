"""An owner's grants as the pages and the JSON API show them, read from the chain.

Each grant is read back from its ``GrantRequested`` event (the canonical document the owner
signs) and its record (status, uses: ``max_uses`` is a budget per resource, so each resource's
uses are read with ``GrantRegistry.usesOf``); the document is only shown if it matches the
digest the chain stores (:func:`quancheng.grants.requested_grants` skips any other).
"""

from __future__ import annotations

from pydantic import BaseModel

from quancheng.chain import ContractSet, GrantStatus
from quancheng.chain.types import code32
from quancheng.grants import RequestedGrant, requested_grants
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.labels import (
    MODE_EXPLAINED,
    MODE_LABELS,
    STATUS_LABELS,
    cst_text,
    purpose_label,
    tier_label,
    tier_warning,
)
from quancheng_portal.services.validity import ProblemView, request_problems

__all__ = ["GrantView", "ScopeView", "owner_grants"]


class ScopeView(BaseModel):
    """One resource of a grant: what data, from whom, which fields."""

    resource: str
    title: str
    provider: str
    provider_name: str
    fields: list[str]
    #: Uses of this resource under the grant (max_uses is a budget per resource).
    uses: int = 0


class GrantView(BaseModel):
    """A grant in plain words, with its state on chain."""

    grant_id: str
    consumer: str
    consumer_name: str
    purpose: int
    purpose_label: str
    #: 依场景授权 / 分领域授权 / 综合授权 with the purpose, as one phrase.
    tier_label: str
    #: Set for a domain or comprehensive grant: it lets the institution use the data for any of
    #: the purposes it covers.
    tier_warning: str | None
    mode: str
    mode_label: str
    mode_explained: str
    scope: list[ScopeView]
    data_from: str
    data_to: str
    not_before: int
    not_after: int
    not_before_text: str
    not_after_text: str
    #: Uses allowed of each resource (每项数据最多使用 N 次).
    max_uses: int
    #: Uses over all resources (each resource's own is in ``scope``).
    uses: int
    status: str
    status_label: str
    requested_at_text: str
    document_digest: str
    #: The number the owner's next decision must carry (the chain refuses any other).
    decision_seq: int
    #: False when the request names another key than the owner's attested one.
    for_current_key: bool
    #: What makes a request inconsistent with the catalogue or the term bounds (then it
    #: cannot be approved, only rejected).
    problems: list[ProblemView] = []

    @property
    def approvable(self) -> bool:
        """Whether the owner may approve it here: for their current key and sound."""
        return self.for_current_key and not self.problems

    @property
    def short_id(self) -> str:
        """The first hex digits of the grant id, to tell grants apart on a page."""
        return self.grant_id[2:10]


def _view(
    request: RequestedGrant, contracts: ContractSet, directory: Directory, owner_key: str | None,
    owner_kind: str,
) -> GrantView:  # fmt: skip
    doc = request.document
    record = contracts.grant(request.grant_id)
    status = contracts.grant_status(request.grant_id)
    scope = []
    for item in doc.scope:
        info = directory.resource(item.resource)
        scope.append(
            ScopeView(
                resource=item.resource,
                title=info.title,
                provider=info.provider,
                provider_name=info.provider_name,
                fields=list(item.fields),
                uses=_uses_of(contracts, request.grant_id, item.resource, record.uses),
            )
        )
    return GrantView(
        grant_id=doc.grant_id,
        consumer=doc.consumer,
        consumer_name=directory.institution_name(doc.consumer),
        purpose=int(doc.purpose),
        purpose_label=purpose_label(int(doc.purpose)),
        tier_label=tier_label(int(doc.purpose)),
        tier_warning=tier_warning(int(doc.purpose)),
        mode=doc.mode.value,
        mode_label=MODE_LABELS[doc.mode],
        mode_explained=MODE_EXPLAINED[doc.mode],
        scope=scope,
        data_from=doc.data_from,
        data_to=doc.data_to,
        not_before=doc.not_before,
        not_after=doc.not_after,
        not_before_text=cst_text(doc.not_before),
        not_after_text=cst_text(doc.not_after),
        max_uses=doc.max_uses,
        uses=record.uses,
        status=status.name,
        status_label=STATUS_LABELS[status],
        requested_at_text=cst_text(doc.requested_at),
        document_digest="0x" + request.document_digest.hex(),
        decision_seq=contracts.decision_seq(request.grant_id),
        for_current_key=owner_key is not None and doc.owner_key == owner_key,
        problems=(
            request_problems(doc, directory, owner_kind=owner_kind)
            if status is GrantStatus.PENDING
            else []
        ),
    )


def _uses_of(contracts: ContractSet, grant_id: bytes, resource: str, total: int) -> int:
    """The resource's uses under the grant (no call while nothing was used at all)."""
    return contracts.uses_of(grant_id, code32(resource)) if total else 0


def owner_grants(
    contracts: ContractSet, directory: Directory, pseudonym: bytes, owner_key: str | None,
    *, owner_kind: str = "person",
) -> list[GrantView]:  # fmt: skip
    """Every grant requested from this owner, newest first.

    Args:
        contracts: The deployment.
        directory: Names of institutions and resources.
        pseudonym: The owner's pseudonym.
        owner_key: The owner's attested key (``0x04…``), if any.
        owner_kind: ``person`` or ``business`` (an enterprise): a request for data about the
            other kind is not approvable.
    """
    requests = requested_grants(contracts, owner_pseudonym=pseudonym)
    return [_view(r, contracts, directory, owner_key, owner_kind) for r in reversed(requests)]


PENDING = GrantStatus.PENDING.name
LIVE = (GrantStatus.ACTIVE.name, GrantStatus.PAUSED.name)
