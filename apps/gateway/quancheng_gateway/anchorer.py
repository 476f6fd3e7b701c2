"""Closing receipt batches and anchoring their roots on chain, crash-safely.

A background thread closes a batch when ``batch_max_receipts`` receipts wait (see
:func:`close_at`) or the oldest has waited ``batch_max_age``, but never more than one anchor
transaction can hold in the chain's block gas limit (read from the chain, again every
``GAS_LIMIT_TTL_S``; the bound is :func:`quancheng_gateway.gas.largest_batch`). The gas grows
with the batch's use entries, one per (grant, resource), not with its receipts: a batch takes as
many receipts as wait, up to ``batch_max_receipts``, while their entries stay within that bound
(``batch_size``, or what fits), so under load one transaction per ``batch_max_age`` keeps up
whatever the rate, and the node executes one anchor where it would have executed several. With
``batch_max_receipts`` at most ``batch_size``, batches close at ``batch_size`` receipts as they
always did. It computes the Merkle root (leaf = SM3(0x00 ‖ canonical signed receipt)), signs the
anchor document and stores the batch row *before* any transaction. Then one transaction anchors
the batch and records the uses of its receipts (``ReceiptLedger.anchorWithUses``): both happen
or neither, so there is no state in which a batch is anchored and its uses are not. The
transaction is stored raw before it is sent, so a crash at any point resumes without anchoring
twice or skipping receipts: on restart the lowest unfinished batch is reconciled with
``nextSeq`` / ``getAnchor`` before anything is sent.

Replicas of a department share the database: one of them anchors
(:class:`~quancheng_gateway.leader.Leadership`), the others only follow the batches' state.
Every state change of a batch row is a compare-and-set (``UPDATE … WHERE`` the state it was
read in), and a transaction is sent only after its raw bytes were stored that way, so an
anchorer acting on a stale read changes nothing and sends nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import ColumnElement, Connection, Engine, Table, case, insert, select, update
from sqlalchemy.exc import IntegrityError

from quancheng import merkle
from quancheng.chain import ContractSet
from quancheng.chain.client import ChainUnavailable, TransactionRejected
from quancheng.chain.errors import ContractRevert, RevertError
from quancheng.chain.types import code32
from quancheng.crypto import SM2PrivateKey
from quancheng.errors import GrantError
from quancheng.protocol import AnchorDocument
from quancheng.protocol.documents import b64, unb64
from quancheng_gateway.chaintx import SignedTx, lookup, send_raw, sign_call
from quancheng_gateway.core.clock import Clock
from quancheng_gateway.gas import anchor_gas_bound, largest_batch
from quancheng_gateway.leader import Leadership
from quancheng_gateway.models import Batch, BatchStatus, ReceiptRow
from quancheng_gateway.receipt_log import (
    GroupCommitter,
    anchored_upto,
    log_head,
    set_anchored_upto,
)
from quancheng_gateway.storage import is_unavailable
from quancheng_gateway.uses import GrantState, UsePlan, batch_uses, plan_from_chain, plan_uses
from quancheng_gateway.write_turn import turn_for

__all__ = ["ZERO_ROOT", "Anchorer", "batch_leaves", "close_at"]

_log = logging.getLogger("quancheng_gateway.anchorer")
BATCH: Table = Batch.__table__  # type: ignore[attr-defined]
RCPT: Table = ReceiptRow.__table__  # type: ignore[attr-defined]
ZERO_ROOT = "0x" + "00" * 32
#: How long the chain's block gas limit, as read, bounds the batches (validators may vote it).
GAS_LIMIT_TTL_S = 600.0


def batch_leaves(engine: Engine, first: int, size: int) -> list[bytes]:
    """The Merkle leaf hashes of log positions first .. first+size-1."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(RCPT.c.signed_receipt)
            .where(RCPT.c.log_index >= first, RCPT.c.log_index < first + size)
            .order_by(RCPT.c.log_index)
        ).all()
    return [merkle.leaf_hash(r[0].encode("utf-8")) for r in rows]


def close_at(batch_cap: int, max_receipts: int | None, max_backlog: int) -> int:
    """Receipts waiting at which a batch closes before the oldest has waited its age.

    Without catching up (``max_receipts`` None) a whole batch: ``batch_cap``. With it, the
    receipt bound, so that under load batches close by age (one anchor per
    ``batch_max_age_s`` rather than one per ``batch_cap`` receipts); but never past a quarter
    of the backlog bound, so a batch waiting for its age never brings the gateway near
    refusing ``CHAIN_UNAVAILABLE`` (nor under ``batch_cap``).
    """
    if max_receipts is None:
        return batch_cap
    return max(batch_cap, min(max_receipts, max_backlog // 4))


class Anchorer:
    """Batches the receipt log and anchors it; reports the un-anchored backlog."""

    def __init__(
        self,
        *,
        engine: Engine,
        contracts: ContractSet,
        account: LocalAccount,
        sm2: SM2PrivateKey,
        provider: str,
        committer: GroupCommitter,
        clock: Clock,
        grant_state: Callable[[str, str], GrantState | None],
        batch_size: int,
        batch_max_age_s: float,
        batch_max_receipts: int | None = None,
        interval_s: float,
        timeout_s: float,
        on_anchored: Callable[[int], None] = lambda size: None,
        leads: bool = True,
    ) -> None:
        self.engine, self.contracts, self.account, self.sm2 = engine, contracts, account, sm2
        self.provider, self.provider_id = provider, code32(provider)
        self.committer, self.clock, self.grant_state = committer, clock, grant_state
        self.batch_size, self.max_age_ms = batch_size, int(batch_max_age_s * 1000)
        #: The batch size in force: ``batch_size``, or less if the block gas limit is smaller.
        #: It bounds a batch's use entries; its receipts too, unless more wait (see below).
        self.batch_cap = batch_size
        #: Receipts a batch may take when more wait than ``batch_cap`` (entries within it);
        #: None (not above ``batch_size``): no catching up, a batch takes at most ``batch_cap``.
        self.max_receipts = (
            batch_max_receipts if batch_max_receipts and batch_max_receipts > batch_size else None
        )
        self.gas_limit: int | None = None
        self._gas_read_at: float | None = None
        self.interval_s, self.timeout_s = interval_s, timeout_s
        self.on_anchored = on_anchored
        self.chain_ok = True
        self.last_error: str | None = None
        self.halted: str | None = None
        self.batches_anchored = 0
        #: False while the database fails the anchorer's reads or writes.
        self.storage_ok = True
        self._reload = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._oldest: tuple[int, int] | None = None  # (log_index, served_at_ms)
        #: False: never anchors, only follows the batches' state (another process anchors:
        #: ``QC_GW_ANCHOR_PROCESS``); True: anchors while it holds the leadership.
        self.leads = leads
        self.leadership = Leadership(engine, provider)
        self._turn = turn_for(engine)  # the SQLite write lock, waited for woken (write_turn)
        self._load()

    # ----------------------------------------------------------------------- state

    def _load(self) -> None:
        """Read where the batches and the log stand (another replica may have moved them)."""
        with self.engine.connect() as conn:
            last = conn.execute(select(BATCH).order_by(BATCH.c.seq.desc()).limit(1)).first()
            self.anchored_upto = anchored_upto(conn)
            self.committer.observe(log_head(conn))
        self.next_seq = last.seq + 1 if last else 0
        #: Batches anchored in the database, by any process (they are anchored in order, one
        #: open at a time): as of this read.
        self.batches_done = 0 if last is None else last.seq + int(last.status == BatchStatus.DONE)
        self.next_first = last.first_index + last.size if last else 0
        self.last_root = last.root if last else ZERO_ROOT

    @property
    def ok(self) -> bool:
        """Whether anchoring goes well: the chain and the database answer, nothing halted it."""
        return self.chain_ok and self.storage_ok and not self.halted

    @property
    def error(self) -> str | None:
        """Why anchoring halted, else the last error (None after a step that went well)."""
        return self.halted or self.last_error

    def backlog(self) -> int:
        """Receipts answered but not anchored yet."""
        return max(0, self.committer.head - self.anchored_upto)

    def oldest_unanchored_ms(self) -> int | None:
        """served_at_ms of the oldest receipt not anchored yet (None if none)."""
        index = self.anchored_upto
        if index >= self.committer.head:
            return None
        if self._oldest is None or self._oldest[0] != index:
            with self.engine.connect() as conn:
                served = conn.execute(
                    select(RCPT.c.served_at_ms).where(RCPT.c.log_index == index)
                ).scalar()
            if served is None:
                return None
            self._oldest = (index, int(served))
        return self._oldest[1]

    # --------------------------------------------------------------------- running

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="anchorer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.leadership.release()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.step()
                self.chain_ok, self.last_error = True, None
            except (ChainUnavailable, OSError, TransactionRejected) as exc:
                if self.chain_ok:
                    _log.warning("anchoring paused: %s", exc)
                self.chain_ok, self.last_error, busy = False, str(exc), False
            except Exception as exc:  # keep the thread alive; the error is reported
                if is_unavailable(exc):
                    if self.storage_ok:
                        _log.warning("anchoring paused, database unavailable: %s", exc)
                    self.storage_ok = False
                else:
                    _log.exception("anchorer step failed")
                # A write may have committed before the error: re-read the batches first.
                self._reload = True
                self.last_error, busy = str(exc), False
            else:
                if not self.storage_ok:
                    _log.info("anchoring resumed: the database answers again")
                self.storage_ok = True
            if not busy:
                self._stop.wait(self.interval_s)

    def step(self) -> bool:
        """Do the next piece of work; False when there was none."""
        if self.halted:
            return False
        if not self.leads or not self.leadership.held():  # follow what the anchoring one does
            self._load()
            return False
        if self._reload:
            self._load()
            self._oldest, self._reload = None, False
        if self._gas_read_at is None or time.monotonic() - self._gas_read_at > GAS_LIMIT_TTL_S:
            self.fit_gas_limit(int(self.contracts.w3.eth.get_block("latest")["gasLimit"]))
            if self.halted:
                return False
        with self.engine.connect() as conn:
            open_ = conn.execute(
                select(BATCH).where(BATCH.c.status == BatchStatus.CREATED).order_by(BATCH.c.seq)
            ).first()
        if open_ is not None:
            self._anchor(open_)
            return True
        return self._close_batch()

    def fit_gas_limit(self, gas_limit: int) -> int:
        """Bound the batches by what one anchor can hold in a block of ``gas_limit``.

        A batch is signed and stored before its transaction exists and is anchored whole, so a
        batch over the limit could never be anchored: batches close smaller instead (logged),
        and if not even one receipt fits the anchorer halts with the reason.
        """
        self.gas_limit, self._gas_read_at = gas_limit, time.monotonic()
        fits = largest_batch(gas_limit)
        if fits < 1:
            self.halted = (
                f"the chain's block gas limit {gas_limit:,} is under one anchor of a single "
                f"receipt (up to {anchor_gas_bound(1):,} gas): raise the network's gas limit"
            )
            _log.critical(self.halted)
            return 0
        cap = min(self.batch_size, fits)
        if cap != self.batch_cap:
            log = _log.warning if cap < self.batch_size else _log.info
            log(
                "batches close at %d receipts: an anchor of %d can take up to %s gas, the block "
                "gas limit is %s (QC_GW_BATCH_SIZE=%d)",
                cap, self.batch_size, f"{anchor_gas_bound(self.batch_size):,}",
                f"{gas_limit:,}", self.batch_size,
            )  # fmt: skip
            self.batch_cap = cap
        return cap

    # ---------------------------------------------------------------- close a batch

    def _close_batch(self) -> bool:
        with self.engine.connect() as conn:
            head = log_head(conn)
        self.committer.observe(head)
        available = head - self.next_first
        if available <= 0:
            return False
        # Closed when a whole batch waits or the oldest receipt has waited batch_max_age_s.
        if available < close_at(self.batch_cap, self.max_receipts, self.committer.max_backlog):
            with self.engine.connect() as conn:
                first_at = conn.execute(
                    select(RCPT.c.served_at_ms).where(RCPT.c.log_index == self.next_first)
                ).scalar()
            if first_at is None or self.clock.now_ms() - int(first_at) < self.max_age_ms:
                return False
        size = self._extent(min(available, self.max_receipts or self.batch_cap))
        leaves = batch_leaves(self.engine, self.next_first, size)
        root = "0x" + merkle.root(leaves).hex()
        doc = AnchorDocument(
            provider=self.provider,
            seq=self.next_seq,
            root=root,
            size=size,
            first_index=self.next_first,
            prev_root=self.last_root,
        )
        try:
            self._insert_batch(doc)
        except IntegrityError:  # another anchorer closed this seq first: read its batch
            self._reload = True
            return True
        self.next_seq, self.next_first, self.last_root = doc.seq + 1, doc.first_index + size, root
        return True

    def _extent(self, waiting: int) -> int:
        """How many of the ``waiting`` receipts the next batch takes: all, while their use
        entries (distinct grant and resource, in log order) stay within ``batch_cap``."""
        if waiting <= self.batch_cap:  # never more entries than receipts
            return waiting
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(RCPT.c.grant_id, RCPT.c.resource)
                .where(RCPT.c.log_index >= self.next_first,
                       RCPT.c.log_index < self.next_first + waiting)
                .order_by(RCPT.c.log_index)
            ).all()  # fmt: skip
        entries: set[tuple[str, str]] = set()
        for taken, (grant_id, resource) in enumerate(rows):
            entries.add((grant_id, resource))
            if len(entries) > self.batch_cap:
                return taken  # ≥ batch_cap: the first batch_cap receipts always fit
        return len(rows)

    def _insert_batch(self, doc: AnchorDocument) -> None:
        signature = b64(self.sm2.sign(doc.canonical()))  # before the write lock is taken
        with self._turn(), self.engine.begin() as conn:
            conn.execute(
                insert(BATCH).values(
                    seq=doc.seq,
                    first_index=doc.first_index,
                    size=doc.size,
                    root=doc.root,
                    prev_root=doc.prev_root,
                    status=BatchStatus.CREATED,
                    signature=signature,
                    created_at_ms=self.clock.now_ms(),
                )
            )

    # ---------------------------------------------------------------------- anchor

    def _set(
        self,
        seq: int,
        *when: ColumnElement[bool],
        then: Callable[[Connection], None] | None = None,
        **values: Any,
    ) -> bool:
        """Update batch ``seq`` if it still is as ``when`` says; False if it had moved on.

        ``then`` runs in the same transaction when the update happened.
        """
        with self._turn(), self.engine.begin() as conn:
            done = conn.execute(update(BATCH).where(BATCH.c.seq == seq, *when).values(**values))
            if done.rowcount == 1 and then is not None:
                then(conn)
        if done.rowcount == 1:
            return True
        _log.info("batch %d changed under this anchorer: reading it again", seq)
        self._reload = True
        return False

    def _anchored(self, batch: Any, block: int, tx: str | None) -> None:
        """The batch and its uses are on chain (one transaction): the batch is done."""
        created = BATCH.c.status == BatchStatus.CREATED
        upto = batch.first_index + batch.size
        # uses_block as the row says: uses_tx is stored with the transaction when it records uses.
        values: dict[str, Any] = {
            "status": BatchStatus.DONE,
            "anchor_block": block,
            "uses_block": case((BATCH.c.uses_tx.is_not(None), block), else_=None),
        }
        if tx is not None:
            values["anchor_tx"] = tx
        if self._set(batch.seq, created, then=lambda conn: set_anchored_upto(conn, upto), **values):
            self.batches_anchored += 1
            self.on_anchored(batch.size)
            _log.info("batch %d anchored in block %d (%d receipts)", batch.seq, block, batch.size)
        self.anchored_upto = max(self.anchored_upto, upto)

    def _anchor(self, batch: Any) -> None:
        if batch.anchor_tx:
            mined = lookup(self.contracts.w3, batch.anchor_tx)
            if mined is not None and mined.ok:
                return self._anchored(batch, mined.block, batch.anchor_tx)
        chain_next = self.contracts.next_seq(self.provider_id)
        if chain_next > batch.seq:
            # Anchored by a transaction this read of the row does not show (another replica's,
            # or this one's before a crash): anchor and uses were one transaction either way.
            record = self.contracts.anchor(self.provider_id, batch.seq)
            if "0x" + record.root.hex() != batch.root:
                self.halted = f"batch {batch.seq} on chain has another root: refusing to go on"
                _log.critical(self.halted)
                return None
            return self._anchored(batch, record.block_number, batch.anchor_tx)
        if chain_next < batch.seq:
            self.halted = f"chain expects batch {chain_next}, the log is at {batch.seq}"
            _log.critical(self.halted)
            return None
        tx = self._stored_or_new(batch)
        if tx is None:
            return None
        try:
            mined = send_raw(self.contracts.w3, tx.raw, tx.tx_hash, self.timeout_s)
        except (RevertError, TransactionRejected) as exc:
            _log.warning("anchor of batch %d refused: %s", batch.seq, exc)
            self._forget(batch.seq, tx.tx_hash)
            return None
        if mined.ok:
            return self._anchored(batch, mined.block, tx.tx_hash)
        self._forget(batch.seq, tx.tx_hash)
        return None

    def _stored_or_new(self, batch: Any) -> SignedTx | None:
        """The batch's stored transaction, or a new one, stored before it is sent."""
        if batch.anchor_raw_tx and batch.anchor_tx:
            return SignedTx(batch.anchor_raw_tx, batch.anchor_tx, -1)
        with self.engine.connect() as conn:
            entries = batch_uses(conn, batch.first_index, batch.size)
        plan = plan_uses(entries, self.grant_state)
        try:
            try:
                tx = self._sign(batch, plan)
            except GrantError:  # the view was behind the chain: plan the uses from the chain
                now_s = self.clock.now_ms() // 1000
                plan = plan_uses(entries, plan_from_chain(self.contracts, now_s))
                tx = self._sign(batch, plan)
        except RevertError as exc:  # retried at the next step; the backlog bound holds meanwhile
            _log.warning("anchor of batch %d would revert: %s", batch.seq, exc)
            return None
        if not self._store(batch, tx, plan):
            return None
        for note in plan.notes:
            _log.warning("batch %d: %s", batch.seq, note)
        return tx

    def _sign(self, batch: Any, plan: UsePlan) -> SignedTx:
        """Sign the batch's anchor with the plan's uses (raises the revert it would meet)."""
        fn = self.contracts.receipts.functions.anchorWithUses(
            self.provider_id,
            batch.seq,
            bytes.fromhex(batch.root[2:]),
            batch.size,
            bytes.fromhex(batch.prev_root[2:]),
            unb64(batch.signature),
            plan.records,
        )
        # Gas grows with the use entries (gas.py); a batch without uses costs less than one.
        bound = anchor_gas_bound(max(1, len(plan.grant_ids)))
        try:
            return sign_call(self.contracts.w3, self.account, fn, bound)
        except (ContractRevert, TransactionRejected) as exc:
            if isinstance(exc, ContractRevert) and exc.data:
                raise  # a reason of the contract's: the estimate would meet it too
            # Out of the bound's gas (a node reports it as a revert without data, or refuses).
            _log.warning(
                "anchor of batch %d refused within %s gas (%s): signed with the node's estimate",
                batch.seq, f"{bound:,}", exc,
            )  # fmt: skip
            return sign_call(self.contracts.w3, self.account, fn)

    def _store(self, batch: Any, tx: SignedTx, plan: UsePlan) -> bool:
        """Store ``tx`` (and what its uses leave out) unless a transaction is stored already."""
        # False: another anchorer stored its own first; this one is never sent.
        return self._set(
            batch.seq,
            BATCH.c.anchor_tx.is_(None),
            BATCH.c.status == BatchStatus.CREATED,
            anchor_raw_tx=tx.raw,
            anchor_tx=tx.tx_hash,
            uses_tx=None if plan.empty else tx.tx_hash,
            uses_note="; ".join(plan.notes) or None,
        )

    def _forget(self, seq: int, tx_hash: str) -> None:
        """Drop a stored transaction that failed, so that a new one (and plan) can be made."""
        self._set(
            seq,
            BATCH.c.anchor_tx == tx_hash,
            anchor_raw_tx=None,
            anchor_tx=None,
            uses_tx=None,
            uses_note=None,
        )
