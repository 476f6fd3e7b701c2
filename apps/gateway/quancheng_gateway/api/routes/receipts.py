"""The receipt log: one receipt, its inclusion proof, and pages of the log.

Answered to entitled readers only (:mod:`quancheng_gateway.readers`): an ACTIVE auditor reads
everything; an ACTIVE consumer reads its own receipts — its pages of the log are *filtered*
to them (so it can reconcile its evidence), another consumer's receipt is 403; the identity
authority names one owner (``?owner=``) and reads only receipts under that owner's grants.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import Session

from quancheng import merkle
from quancheng.protocol import AnchorDocument, SignedReceipt
from quancheng.protocol import refusals as r
from quancheng_gateway import crud
from quancheng_gateway.api.deps import GatewayDep, ReaderDep, SessionDep
from quancheng_gateway.api.errors import error_responses
from quancheng_gateway.models import Batch, BatchStatus, ReceiptLogPage, ReceiptPublic, ReceiptRow
from quancheng_gateway.readers import LogScope

router = APIRouter(tags=["receipts"])

#: Refusals of every read: not authenticated (401) or not entitled (403).
READ_REFUSALS = tuple(r.refusal_class(code) for code in r.READER_CODES)

OwnerParam = Annotated[
    str | None,
    Query(
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="An owner's pseudonym: only receipts under this owner's grants "
        "(required of the identity authority).",
    ),
]


class ReceiptLogSlice(ReceiptLogPage):
    """A page of the log as this reader may see it; ``next_index`` is where to ask next."""

    next_index: int


def _visible(session: Session, row: ReceiptRow, scope: LogScope) -> bool:
    owner = (
        None if scope.owner is None else crud.grant_owner(session=session, grant_id=row.grant_id)
    )
    return scope.allows(consumer=row.consumer, owner=owner)


def _readable_row(session: Session, receipt_id: str, scope: LogScope, member: str) -> ReceiptRow:
    row = crud.get_receipt(session=session, receipt_id=receipt_id)
    if row is None:
        raise r.UnknownReceipt(receipt_id=receipt_id)
    if not _visible(session, row, scope):
        raise r.ReaderNotEntitled(
            "this receipt is not one this reader may read", member=member, receipt_id=receipt_id
        )
    return row


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
    response_model=ReceiptLogSlice,
    responses=error_responses(r.MalformedRequest, r.StorageUnavailable, *READ_REFUSALS),
)
def receipt_log(
    session: SessionDep,
    reader: ReaderDep,
    owner: OwnerParam = None,
    from_index: int = Query(0, ge=0, le=2**63 - 1),
    limit: int = Query(100, ge=1, le=1000),
) -> ReceiptLogSlice:
    """A page of the receipt log from position ``from_index``: all of it to auditors, a
    consumer's own receipts to it, one owner's to the identity authority."""
    scope = reader.scope(owner.lower() if owner else None)
    total, next_index, receipts = crud.scoped_receipt_page(
        session=session, from_index=from_index, limit=limit,
        consumer=scope.consumer, owner=scope.owner,
    )  # fmt: skip
    return ReceiptLogSlice(
        from_index=from_index, total=total, receipts=receipts, next_index=next_index
    )


@router.get(
    "/v1/receipts/{receipt_id}",
    response_model=ReceiptPublic,
    responses=error_responses(r.UnknownReceipt, r.StorageUnavailable, *READ_REFUSALS),
)
def get_receipt(
    receipt_id: str, session: SessionDep, reader: ReaderDep, owner: OwnerParam = None
) -> ReceiptPublic:
    """A receipt this gateway issued, and its batch once anchored (to entitled readers)."""
    scope = reader.scope(owner.lower() if owner else None)
    row = _readable_row(session, receipt_id, scope, reader.member)
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
    responses=error_responses(
        r.UnknownReceipt, r.ReceiptNotAnchored, r.StorageUnavailable, *READ_REFUSALS
    ),
)
def receipt_proof(
    receipt_id: str,
    session: SessionDep,
    gateway: GatewayDep,
    reader: ReaderDep,
    owner: OwnerParam = None,
) -> dict[str, Any]:
    """The receipt's Merkle inclusion proof in its anchored batch (to entitled readers)."""
    scope = reader.scope(owner.lower() if owner else None)
    row = _readable_row(session, receipt_id, scope, reader.member)
    batch = crud.batch_containing(session=session, log_index=row.log_index)
    if batch is None or not _anchored(batch):
        raise r.ReceiptNotAnchored(receipt_id=receipt_id, log_index=row.log_index)
    tree = _tree_of(session, batch)
    leaf_index = row.log_index - batch.first_index
    return {
        "receipt": SignedReceipt.model_validate_json(row.signed_receipt),
        "batch": crud.anchor_document(batch=batch, provider=gateway.provider),
        "anchor_signature": batch.signature,
        "leaf_index": leaf_index,
        "proof": ["0x" + p.hex() for p in tree.inclusion_proof(leaf_index)],
        "anchor_tx": batch.anchor_tx,
        "anchor_block": batch.anchor_block,
    }


#: Trees of recently proven batches, by root: an anchored batch never changes, and a batch of
#: 4,096 receipts takes ~26 ms to read and hash again; its proofs then take microseconds.
_TREES: OrderedDict[str, merkle.MerkleTree] = OrderedDict()
_TREES_KEPT = 8
_trees_lock = threading.Lock()


def _tree_of(session: Session, batch: Any) -> merkle.MerkleTree:
    """The Merkle tree of an anchored ``batch``'s receipts (kept if its root is the batch's)."""
    with _trees_lock:
        tree = _TREES.get(batch.root)
        if tree is not None:
            _TREES.move_to_end(batch.root)
            return tree
    entries = crud.receipts_in(session=session, first=batch.first_index, size=batch.size)
    tree = merkle.MerkleTree([merkle.leaf_hash(e.encode("utf-8")) for e in entries])
    if "0x" + tree.root.hex() == batch.root:  # else answered as read, never kept
        with _trees_lock:
            _TREES[batch.root] = tree
            while len(_TREES) > _TREES_KEPT:
                _TREES.popitem(last=False)
    return tree
