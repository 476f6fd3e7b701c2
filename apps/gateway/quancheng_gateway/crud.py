"""Reads of the receipt log and batches for the API (keyword-only, one session each)."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from quancheng.protocol import AnchorDocument, SignedReceipt
from quancheng_gateway.models import Batch, GrantView, ReceiptRow

__all__ = [
    "anchor_document",
    "batch_containing",
    "get_batch",
    "get_receipt",
    "grant_owner",
    "receipt_page",
    "receipts_in",
    "scoped_receipt_page",
]


def get_receipt(*, session: Session, receipt_id: str) -> ReceiptRow | None:
    """The receipt with this id."""
    return session.exec(select(ReceiptRow).where(ReceiptRow.receipt_id == receipt_id)).first()


def get_batch(*, session: Session, seq: int) -> Batch | None:
    """The batch with this sequence number."""
    return session.get(Batch, seq)


def batch_containing(*, session: Session, log_index: int) -> Batch | None:
    """The batch whose range holds ``log_index`` (None while it is not batched)."""
    stmt = (
        select(Batch)
        .where(Batch.first_index <= log_index)
        .order_by(col(Batch.first_index).desc())
        .limit(1)
    )
    batch = session.exec(stmt).first()
    if batch is None or log_index >= batch.first_index + batch.size:
        return None
    return batch


def receipt_page(
    *, session: Session, from_index: int, limit: int
) -> tuple[int, list[SignedReceipt]]:
    """The log's size and up to ``limit`` receipts from position ``from_index``."""
    total = session.exec(select(func.count()).select_from(ReceiptRow)).one()
    rows = session.exec(
        select(ReceiptRow.signed_receipt)
        .where(ReceiptRow.log_index >= from_index)
        .order_by(col(ReceiptRow.log_index))
        .limit(limit)
    ).all()
    return int(total), [SignedReceipt.model_validate_json(r) for r in rows]


def scoped_receipt_page(
    *, session: Session, from_index: int, limit: int, consumer: str | None, owner: str | None
) -> tuple[int, int, list[SignedReceipt]]:
    """The log's size, where the next page starts, and up to ``limit`` receipts in scope.

    Only receipts of ``consumer`` and under grants of ``owner`` (None: any) are returned, in
    log order from ``from_index``. The scan stops at the size counted first, so the next page
    (``last index + 1`` when the page is full, else that size) skips nothing.
    """
    total = int(session.exec(select(func.count()).select_from(ReceiptRow)).one())
    stmt = (
        select(ReceiptRow.log_index, ReceiptRow.signed_receipt)
        .where(ReceiptRow.log_index >= from_index, ReceiptRow.log_index < total)
        .order_by(col(ReceiptRow.log_index))
        .limit(limit)
    )
    if consumer is not None:
        stmt = stmt.where(ReceiptRow.consumer == consumer)
    if owner is not None:
        stmt = stmt.join(GrantView, col(GrantView.grant_id) == col(ReceiptRow.grant_id)).where(
            GrantView.owner_pseudonym == owner
        )
    rows = session.exec(stmt).all()
    next_index = rows[-1][0] + 1 if len(rows) == limit else max(from_index, total)
    return total, next_index, [SignedReceipt.model_validate_json(r[1]) for r in rows]


def grant_owner(*, session: Session, grant_id: str) -> str | None:
    """The owner pseudonym of a grant the chain view knows."""
    return session.exec(
        select(GrantView.owner_pseudonym).where(GrantView.grant_id == grant_id)
    ).first()


def receipts_in(*, session: Session, first: int, size: int) -> list[str]:
    """Canonical signed receipts at positions first .. first+size-1, in order."""
    return list(
        session.exec(
            select(ReceiptRow.signed_receipt)
            .where(ReceiptRow.log_index >= first, ReceiptRow.log_index < first + size)
            .order_by(col(ReceiptRow.log_index))
        ).all()
    )


def anchor_document(*, batch: Batch, provider: str) -> AnchorDocument:
    """The anchor document the gateway signed for ``batch``."""
    return AnchorDocument(
        provider=provider,
        seq=batch.seq,
        root=batch.root,
        size=batch.size,
        first_index=batch.first_index,
        prev_root=batch.prev_root,
    )
