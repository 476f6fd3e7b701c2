"""One access as the history page shows it: who read what, when, under which grant."""

from __future__ import annotations

import json

from pydantic import BaseModel

from quancheng.chain import GrantStatus
from quancheng.grants import RequestedGrant
from quancheng.protocol import GrantMode
from quancheng_portal.models import AccessRow
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.labels import (
    STATUS_LABELS,
    Name,
    ms_text,
    purpose_label,
    receipt_tier_label,
)

__all__ = ["AccessView", "access_view"]


class AccessView(BaseModel):
    """One access as the history page shows it."""

    receipt_id: str
    grant_id: str
    consumer: str
    consumer_name: str
    provider_name: str
    resource: str
    resource_title: str
    #: The access's own (scenario) purpose, whatever the tier of its grant.
    purpose_label: str
    #: Under which tier it was served, as the receipt states: 依场景授权 / 分领域授权 / 综合授权.
    tier_label: str
    served_at_text: str
    signature: str
    inclusion: str
    problem: str | None
    anchor_seq: int | None
    anchor_block: int | None
    #: The grant it was served under: the first hex digits of its id (as the grants page
    #: shows them) and its state now (accesses under a revoked or expired grant stay here).
    grant_short_id: str = ""
    grant_status: str = ""
    grant_status_label: str = ""
    #: The grant's mode: RAW (``items`` are fields) or DERIVED (``items`` are indicators).
    mode: str = ""
    #: What the grant lets the institution read of this resource, by Chinese label where
    #: the provider publishes one (a receipt does not list a query's own selection).
    items: list[Name] = []


def access_view(
    directory: Directory, row: AccessRow, grant: RequestedGrant | None,
    status: GrantStatus | None,
) -> AccessView:  # fmt: skip
    """The cached access ``row``, with the grant it was under (None: no longer listed)."""
    info = directory.resource(row.resource)
    doc = grant.document if grant else None
    scope = doc.scope if doc else ()
    fields = next((i.fields for i in scope if i.resource == row.resource), ())
    mode = doc.mode if doc else GrantMode.RAW
    return AccessView(
        receipt_id=row.receipt_id, grant_id=row.grant_id, consumer=row.consumer,
        consumer_name=directory.institution_name(row.consumer),
        provider_name=info.provider_name or row.provider, resource=row.resource,
        resource_title=info.title, purpose_label=purpose_label(row.purpose),
        tier_label=receipt_tier_label(json.loads(row.signed_receipt)["receipt"].get("tier")),
        served_at_text=ms_text(row.served_at_ms), signature=row.signature,
        inclusion=row.inclusion, problem=row.problem, anchor_seq=row.anchor_seq,
        anchor_block=row.anchor_block, grant_short_id=row.grant_id[2:10],
        grant_status=status.name if status else "",
        grant_status_label=STATUS_LABELS[status] if status else "",
        mode=mode.value if doc else "",
        items=directory.item_names(row.resource, fields, mode),
    )  # fmt: skip
