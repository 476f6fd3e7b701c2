"""What the trail holds, listed for people: institutions by name, every grant, every receipt.

A regulator handling a citizen's complaint starts from one owner or one receipt id, not from a
rule. These listings (part of the JSON report, rendered as the HTML report's "按数据主体" and
"按回执" sections) say who asked whom for what, under which grant, when, and in which anchored
batch; the findings say what is wrong with it.
"""

from __future__ import annotations

from pydantic import BaseModel

from quancheng.chain.types import decode_code32
from quancheng_audit.context import Context
from quancheng_audit.history import GrantHistory

__all__ = ["GrantRow", "InstitutionInfo", "ReceiptRow", "list_grants", "list_institutions",
           "list_receipts"]  # fmt: skip


class InstitutionInfo(BaseModel):
    """A member of the consortium as its admission names it, and how it stood at the end.

    Attributes:
        name: Its name on chain (``InstitutionAdmitted``), e.g. 济南市医疗保障局.
        role: Its role (``PROVIDER``, ``CONSUMER``, ``AUDITOR``, ``COMMITTEE``).
        status: ``ACTIVE``, ``SUSPENDED`` or ``REMOVED`` as of the last block read.
    """

    name: str
    role: str
    status: str


class GrantRow(BaseModel):
    """One grant as of the last block read; terms are None when the chain holds none.

    Attributes:
        grant_id: The grant.
        owner: The owner's pseudonym (``0x`` hex).
        consumer: The grantee's institution code.
        resources: The catalogue resources granted, in order.
        purpose: The grant's purpose code.
        not_before: Start of validity (unix seconds).
        not_after: End of validity (unix seconds).
        max_uses: Uses allowed per resource.
        requested_at: Block time of the request (unix seconds).
        status: Its status as of the last block read (``GrantStatus`` name).
    """

    grant_id: str
    owner: str
    consumer: str
    resources: list[str]
    purpose: int | None
    not_before: int | None
    not_after: int | None
    max_uses: int | None
    requested_at: int
    status: str


class ReceiptRow(BaseModel):
    """One receipt of a provider's log, as the gateway signed it.

    Attributes:
        receipt_id: The receipt.
        provider: Who answered (its log holds the receipt).
        log_index: Its position in that log.
        consumer: Who received the data.
        resource: Which catalogue resource.
        purpose: The scenario purpose the query named.
        served_at_ms: When the gateway says it answered.
        grant_id: The grant it answered under.
        batch: The anchored batch holding it (None: not anchored).
    """

    receipt_id: str
    provider: str
    log_index: int
    consumer: str
    resource: str
    purpose: int
    served_at_ms: int
    grant_id: str
    batch: int | None


def list_institutions(ctx: Context) -> dict[str, InstitutionInfo]:
    """Every admitted institution by code."""
    names = {
        e.code("institutionId"): str(e.args.get("name") or "")
        for e in ctx.chain.events
        if e.name == "InstitutionAdmitted"
    }
    out: dict[str, InstitutionInfo] = {}
    for code, name in names.items():
        states = ctx.history.members.get(code)
        last = states[-1] if states else None
        out[code] = InstitutionInfo(
            name=name or code,
            role=last.role.name if last else "",
            status=last.status.name if last else "",
        )
    return out


def _code(hex32: str) -> str:
    """A bytes32 code as its text, or its hex when it is not a packed code."""
    try:
        return decode_code32(bytes.fromhex(hex32.removeprefix("0x"))) or hex32
    except ValueError:
        return hex32


def _grant_row(grant: GrantHistory, at_ms: int) -> GrantRow:
    t, e = grant.terms, grant.request
    return GrantRow(
        grant_id=grant.grant_id,
        owner=t.owner_pseudonym.lower() if t else e.hex("ownerPseudonym"),
        consumer=_code(t.consumer_id) if t else e.code("consumerId"),
        resources=[_code(r) for r in t.resource_ids] if t else [],
        purpose=t.purpose if t else None,
        not_before=t.not_before if t else None,
        not_after=t.not_after if t else None,
        max_uses=t.max_uses if t else None,
        requested_at=e.time,
        status=grant.status_at(at_ms).name,
    )


def list_grants(ctx: Context) -> list[GrantRow]:
    """Every grant requested on chain, in request order, with its status at the last block."""
    at_ms = ctx.chain.head_time * 1000 + 999
    return [_grant_row(g, at_ms) for g in ctx.history.grants.values()]


def list_receipts(ctx: Context) -> list[ReceiptRow]:
    """Every parsed receipt of every log, by provider and log order."""
    return [
        ReceiptRow(
            receipt_id=e.signed.receipt.receipt_id,
            provider=provider,
            log_index=e.log_index,
            consumer=e.signed.receipt.consumer,
            resource=e.signed.receipt.resource,
            purpose=int(e.signed.receipt.purpose),
            served_at_ms=e.served_at_ms,
            grant_id=e.signed.receipt.grant_id.lower(),
            batch=e.batch.seq if e.batch is not None else None,
        )
        for provider, entries in sorted(ctx.entries.items())
        for e in entries
    ]
