"""The cases, their decisions and receipts in the service's database, and their public form."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, update
from sqlmodel import Session, SQLModel, col, create_engine, select

from quancheng.verified import ReceiptInclusion, VerifiedAnswer
from quancheng_appkit.decision import Outcome, Reason, yuan
from quancheng_appkit.officer.errors import CaseNotFound, OfficerError
from quancheng_appkit.officer.models import AnchorState, CaseState
from quancheng_appkit.officer.schemas import (
    AnchorPublic,
    CasePage,
    CasePublic,
    DecisionPublic,
    ReceiptPublic,
)

__all__ = ["CaseStore", "make_engine"]

Clock = Callable[[], datetime]


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite: its directory made, WAL, usable from every thread)."""
    if not url.startswith("sqlite:///"):
        return create_engine(url, pool_pre_ping=True)
    Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _wal(conn: Any, _record: Any) -> None:
        conn.execute("PRAGMA journal_mode=WAL")

    return engine


class CaseStore:
    """Cases and receipts of one service (its two tables), read with its decision table.

    Args:
        engine: The service's database; the tables are created if missing.
        cases, receipts, decisions: The service's table models.
        titles: Kind → the title an officer reads (``机动车商业保险理赔``).
        clock: The time of each change.
        noun, collection: How refusals name a case and where cases are listed.
    """

    def __init__(
        self, engine: Engine, *, cases: Any, receipts: Any, decisions: Any,
        titles: Mapping[str, str], clock: Clock, noun: str, collection: str,
    ) -> None:  # fmt: skip
        self.engine, self.cases, self.receipts, self.decisions = engine, cases, receipts, decisions
        self.titles, self.clock, self.noun, self.collection = titles, clock, noun, collection
        tables = [t.__table__ for t in (cases, receipts, decisions)]
        SQLModel.metadata.create_all(engine, tables=tables)

    # ------------------------------------------------------------------------- changes

    def insert(self, *, kind: str, reference: str, application: dict[str, Any],
               grant_id: str) -> int:  # fmt: skip
        """A new case, waiting for its grant; its id."""
        now = self.clock()
        row = self.cases(
            kind=kind, reference=reference, application=application, grant_id=grant_id,
            state=CaseState.WAITING_FOR_GRANT, created_at=now, updated_at=now,
        )  # fmt: skip
        with Session(self.engine) as session:
            session.add(row)
            session.commit()
            return int(row.id)

    def take(self, case_id: int, *, from_state: CaseState, to_state: CaseState) -> bool:
        """Move a case between states if it is in ``from_state`` (True: this caller moved it)."""
        stmt = (
            update(self.cases)
            .where(col(self.cases.id) == case_id, col(self.cases.state) == from_state)
            .values(state=to_state, updated_at=self.clock())
        )
        with Session(self.engine) as session:
            moved = session.execute(stmt).rowcount  # type: ignore[attr-defined]
            session.commit()
        return bool(moved == 1)

    def finish(
        self, case_id: int, state: CaseState, *, error: OfficerError | None = None,
        decision_id: int | None = None, answers: Sequence[VerifiedAnswer] = (),
    ) -> None:  # fmt: skip
        """Record where a case ends up (with its decision and receipts, or its error)."""
        with Session(self.engine) as session:
            row: Any = session.get(self.cases, case_id)
            row.state, row.updated_at, row.decision_id = state, self.clock(), decision_id
            row.error_code = error.code if error else None
            row.error_message = str(error) if error else None
            for position, answer in enumerate(answers):
                session.add(self.receipts(
                    case_id=case_id, position=position, receipt_id=answer.receipt_id,
                    resource=answer.resource, provider=answer.provider, endpoint=answer.endpoint,
                    request_hash=answer.request_hash, data_digest=answer.data_digest,
                    served_at=answer.served_at,
                ))  # fmt: skip
            session.add(row)
            session.commit()

    def resume_interrupted(self) -> int:
        """Cases left ``deciding`` by a stop are looked at again (their grant decides)."""
        stmt = (
            update(self.cases)
            .where(col(self.cases.state) == CaseState.DECIDING)
            .values(state=CaseState.WAITING_FOR_GRANT)
        )
        with Session(self.engine) as session:
            count = int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
            session.commit()
        return count

    def record_anchor(
        self, receipt_row_id: int, state: AnchorState, inclusion: ReceiptInclusion | None = None
    ) -> None:
        """What the last look at a receipt's inclusion proof found."""
        with Session(self.engine) as session:
            row: Any = session.get(self.receipts, receipt_row_id)
            row.anchor_state = state
            if inclusion is not None:
                row.anchor_root, row.anchor_seq = inclusion.root, inclusion.seq
                row.anchor_block, row.anchored_at = inclusion.anchor_block, inclusion.anchored_at
            session.add(row)
            session.commit()

    # --------------------------------------------------------------------------- reads

    def row(self, case_id: int) -> Any:
        """The case row.

        Raises:
            CaseNotFound: No such case.
        """
        with Session(self.engine) as session:
            row = session.get(self.cases, case_id)
        if row is None:
            raise CaseNotFound(noun=self.noun, case_id=case_id, collection=self.collection)
        return row

    def waiting(self) -> list[int]:
        """Ids of the cases waiting for their grant, oldest first."""
        stmt = (
            select(self.cases.id)
            .where(col(self.cases.state) == CaseState.WAITING_FOR_GRANT)
            .order_by(col(self.cases.id))
        )
        with Session(self.engine) as session:
            return [int(i) for i in session.exec(stmt)]

    def receipt_rows(self, case_id: int) -> list[Any]:
        """The receipts of a case's decision, in the order the decision read them."""
        stmt = (
            select(self.receipts)
            .where(col(self.receipts.case_id) == case_id)
            .order_by(col(self.receipts.position))
        )
        with Session(self.engine) as session:
            return list(session.exec(stmt))

    def page(self, *, offset: int, limit: int, state: CaseState | None = None) -> CasePage:
        """Cases newest first, ``limit`` from ``offset`` (of one state if given)."""
        where = [] if state is None else [col(self.cases.state) == state]
        listing = select(self.cases).where(*where).order_by(col(self.cases.id).desc())
        counting = select(func.count()).select_from(self.cases).where(*where)
        with Session(self.engine) as session:
            total = int(session.exec(counting).one())
            rows = list(session.exec(listing.offset(offset).limit(limit)))
        return CasePage(
            items=[self.public(r) for r in rows], total=total, offset=offset, limit=limit
        )

    def public(self, row: Any) -> CasePublic:
        """A case as the API answers it."""
        decision = None
        if row.decision_id is not None:
            with Session(self.engine) as session:
                stored = session.get(self.decisions, row.decision_id)
            decision = self._decision(stored, self.receipt_rows(row.id))
        error = None if row.error_code is None else {
            "code": row.error_code, "message": row.error_message or ""
        }  # fmt: skip
        state = CaseState(row.state)
        return CasePublic(
            id=row.id, kind=row.kind, kind_label=self.titles.get(row.kind, row.kind),
            reference=row.reference, state=state, state_label=state.label,
            grant_id=row.grant_id, application=row.application, created_at=row.created_at,
            updated_at=row.updated_at, decision=decision, error=error,
        )  # fmt: skip

    @staticmethod
    def _decision(stored: Any, receipts: list[Any]) -> DecisionPublic:
        outcome = Outcome(stored.outcome)
        return DecisionPublic(
            id=stored.id, outcome=outcome, outcome_label=outcome.label,
            amount_fen=stored.amount_fen, amount_label=yuan(stored.amount_fen),
            score=stored.score, reasons=[Reason(**r) for r in stored.reasons],
            receipts=[_receipt(r) for r in receipts], elapsed_ms=stored.elapsed_ms,
            decided_at=stored.created_at,
        )  # fmt: skip


def _receipt(row: Any) -> ReceiptPublic:
    state = AnchorState(row.anchor_state)
    return ReceiptPublic(
        receipt_id=row.receipt_id, resource=row.resource, provider=row.provider,
        endpoint=row.endpoint, request_hash=row.request_hash, data_digest=row.data_digest,
        served_at=row.served_at,
        anchor=AnchorPublic(
            state=state, label=state.label, root=row.anchor_root, batch_seq=row.anchor_seq,
            block=row.anchor_block, anchored_at=row.anchored_at,
        ),
    )  # fmt: skip
