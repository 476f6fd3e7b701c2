"""Anchored batches of the receipt log (to any entitled reader: roots and ranges only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from quancheng.protocol import refusals as r
from quancheng_gateway import crud
from quancheng_gateway.api.deps import GatewayDep, ReaderDep, SessionDep
from quancheng_gateway.api.errors import error_responses
from quancheng_gateway.api.routes.receipts import READ_REFUSALS
from quancheng_gateway.models import BatchPublic

router = APIRouter(tags=["receipts"])


class UnknownBatch(r.Refusal):
    """This gateway has no batch with this sequence number."""

    code = "UNKNOWN_BATCH"
    status = 404


@router.get(
    "/v1/batches/{seq}",
    response_model=BatchPublic,
    responses=error_responses(UnknownBatch, r.StorageUnavailable, *READ_REFUSALS),
)
def get_batch(
    seq: Annotated[int, Path(ge=0, le=2**63 - 1)],
    session: SessionDep,
    gateway: GatewayDep,
    _reader: ReaderDep,
) -> BatchPublic:
    """A batch: its range of the log, root, chaining, signature and where it is anchored.

    Any entitled reader (auditor, consumer, identity authority) may read it: a batch names
    no consumer and no owner, and its root and size are on chain anyway.
    """
    batch = crud.get_batch(session=session, seq=seq)
    if batch is None:
        raise UnknownBatch(seq=seq)
    return BatchPublic(
        **batch.model_dump(exclude={"anchor_raw_tx", "uses_raw_tx", "signature"}),
        document=crud.anchor_document(batch=batch, provider=gateway.provider),
        signature=batch.signature,
    )
