"""The receipt log: one receipt, its inclusion proof, and pages of the log for auditors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from quancheng import merkle
from quancheng.protocol import AnchorDocument, SignedReceipt
from quancheng.protocol import refusals as r
from quancheng_gateway import crud
from quancheng_gateway.api.deps import GatewayDep, SessionDep
from quancheng_gateway.api.errors import error_responses
from quancheng_gateway.models import Batch, BatchStatus, ReceiptLogPage, ReceiptPublic

router = APIRouter(tags=["receipts"])


class ReceiptProof(BaseModel):
    """Inclusion of a receipt in an anchored batch (leaf = SM3(0x00 ‖ canonical receipt))."""

    receipt: SignedReceipt
    batch: AnchorDocument
    anchor_signature: str
    leaf_index: int
    proof: list[str]
    anchor_tx: str | None
    anchor_block: int | None


def _anchored(batch: Batch | None) -> bool:
    return batch is not None and batch.status != BatchStatus.CREATED


@router.get(
    "/v1/receipts",
    response_model=ReceiptLogPage,
    responses=error_responses(r.MalformedRequest, r.StorageUnavailable),
)
def receipt_log(
    session: SessionDep,
    from_index: int = Query(0, ge=0, le=2**63 - 1),
    limit: int = Query(100, ge=1, le=1000),
) -> ReceiptLogPage:
    """A page of the provider's receipt log, from position ``from_index``."""
    total, receipts = crud.receipt_page(session=session, from_index=from_index, limit=limit)
    return ReceiptLogPage(from_index=from_index, total=total, receipts=receipts)


@router.get(
    "/v1/receipts/{receipt_id}",
    response_model=ReceiptPublic,
    responses=error_responses(r.UnknownReceipt, r.StorageUnavailable),
)
def get_receipt(receipt_id: str, session: SessionDep) -> ReceiptPublic:
    """A receipt this gateway issued, and its batch once anchored."""
    row = crud.get_receipt(session=session, receipt_id=receipt_id)
    if row is None:
        raise r.UnknownReceipt(receipt_id=receipt_id)
    batch = crud.batch_containing(session=session, log_index=row.log_index)
    anchored = _anchored(batch)
    return ReceiptPublic(
        receipt=SignedReceipt.model_validate_json(row.signed_receipt),
        batch_seq=batch.seq if anchored and batch else None,
        anchored=anchored,
        anchor_tx=batch.anchor_tx if anchored and batch else None,
        anchor_block=batch.anchor_block if anchored and batch else None,
    )


@router.get(
    "/v1/receipts/{receipt_id}/proof",
    response_model=ReceiptProof,
    responses=error_responses(r.UnknownReceipt, r.ReceiptNotAnchored, r.StorageUnavailable),
)
def receipt_proof(receipt_id: str, session: SessionDep, gateway: GatewayDep) -> dict[str, Any]:
    """The receipt's Merkle inclusion proof in its anchored batch."""
    row = crud.get_receipt(session=session, receipt_id=receipt_id)
    if row is None:
        raise r.UnknownReceipt(receipt_id=receipt_id)
    batch = crud.batch_containing(session=session, log_index=row.log_index)
    if batch is None or not _anchored(batch):
        raise r.ReceiptNotAnchored(receipt_id=receipt_id, log_index=row.log_index)
    entries = crud.receipts_in(session=session, first=batch.first_index, size=batch.size)
    leaves = [merkle.leaf_hash(e.encode("utf-8")) for e in entries]
    leaf_index = row.log_index - batch.first_index
    return {
        "receipt": SignedReceipt.model_validate_json(row.signed_receipt),
        "batch": crud.anchor_document(batch=batch, provider=gateway.provider),
        "anchor_signature": batch.signature,
        "leaf_index": leaf_index,
        "proof": ["0x" + p.hex() for p in merkle.inclusion_proof(leaves, leaf_index)],
        "anchor_tx": batch.anchor_tx,
        "anchor_block": batch.anchor_block,
    }
