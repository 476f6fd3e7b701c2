"""Factories for driving the receipt log directly, without a chain or HTTP."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import Engine

from quancheng.crypto import SM2PrivateKey
from quancheng.protocol import GrantMode, Purpose, SignedReceipt
from quancheng_gateway.answering import ReceiptDraft
from quancheng_gateway.core.clock import ManualClock
from quancheng_gateway.receipt_log import GroupCommitter, Reservation

RESOURCE = "vehicle.registration"


def committer(engine: Engine, *, max_backlog: int = 10_000) -> GroupCommitter:
    """A started receipt log on ``engine`` with a fresh gateway key (stop it when done)."""
    log = GroupCommitter(
        engine, key=SM2PrivateKey.generate(), clock=ManualClock(), max_backlog=max_backlog
    )
    log.start()
    return log


def grant(n: int) -> str:
    """A well-formed grant id."""
    return "0x" + f"{n:064x}"


def draft(request_id: str, grant_id: str, resource: str = RESOURCE) -> ReceiptDraft:
    """A receipt draft for ``request_id`` under ``grant_id``, of ``resource``."""
    return ReceiptDraft(
        receipt_id=str(uuid.uuid4()),
        request_id=request_id,
        grant_id=grant_id,
        consumer="bank.test",
        provider="jinan.vmo",
        resource=resource,
        purpose=Purpose.MOTOR_CLAIM,
        tier="SCENARIO",
        mode=GrantMode.RAW,
        request_hash="0x" + "11" * 32,
        response_hash="0x" + "22" * 32,
        view_block=1,
    )


def reserve(
    log: GroupCommitter,
    request_id: str,
    grant_id: str,
    *,
    max_uses: int = 100,
    resource: str = RESOURCE,
    uses: int = 0,
) -> Reservation:
    """Reserve ``request_id`` for ``resource`` under ``grant_id`` (``uses``: recorded on chain)."""
    return log.reserve(
        request_id=request_id, grant_id=grant_id, resource=resource, max_uses=max_uses, uses=uses
    )


def commit(log: GroupCommitter, held: Reservation) -> SignedReceipt:
    """Commit ``held`` (from a test's thread); the signed receipt or the refusal raised."""
    return asyncio.run(log.commit(held, draft(held.request_id, held.grant_id, held.resource)))
