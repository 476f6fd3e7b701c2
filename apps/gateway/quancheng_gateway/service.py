"""The running gateway: view, follower, receipt log, anchorer and the query path."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from quancheng.chain import ContractSet, Manifest, load_account, make_web3
from quancheng.chain.follower import ChainFollower
from quancheng.protocol import SignedRequest
from quancheng.protocol import refusals as r
from quancheng.protocol.documents import SEALED_FROM_SENSITIVITY
from quancheng_gateway.anchorer import Anchorer
from quancheng_gateway.anchoring import STALE_AFTER_S, read_status
from quancheng_gateway.answering import Payload, ReceiptDraft, build_answer, read_data
from quancheng_gateway.core.clock import Clock, SystemClock
from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.db import (
    create_data_engine,
    create_gateway_engine,
    exclusive,
    init_schema,
)
from quancheng_gateway.metrics import GatewayMetrics
from quancheng_gateway.pipeline import Checked, Pipeline, SignatureVerdict, signed_parts
from quancheng_gateway.receipt_log import GroupCommitter, init_log
from quancheng_gateway.resources import Department, load_department
from quancheng_gateway.storage import is_unavailable, storage_refusal
from quancheng_gateway.subjects import build_subject_index
from quancheng_gateway.uses import GrantState
from quancheng_gateway.verifying import SignatureVerifier
from quancheng_gateway.view import ChainView
from quancheng_gateway.write_turn import writer_turn

__all__ = ["Gateway"]

_log = logging.getLogger("quancheng_gateway")

#: Threads that seal answers (an SM2 encryption each, run without the GIL): the event loop
#: hands a sealed answer over and goes on with other requests meanwhile.
SEALING_THREADS = 2


class Gateway:
    """Everything one provider gateway runs, wired from its settings."""

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        clock: Clock | None = None,
        department: Department | None = None,
        anchors: bool | None = None,
    ) -> None:
        """``anchors``: whether this process anchors (while it holds the leadership) or only
        follows the batches' state; by default it anchors unless ``anchor_process`` is set
        (the anchoring process, :mod:`quancheng_gateway.anchoring`, passes True)."""
        self.settings = s = settings
        self.anchors = not s.anchor_process if anchors is None else anchors
        self.clock = clock or SystemClock()
        self.department = department or load_department(s.department)
        self.provider = self.department.provider
        self.handlers = {h.spec.resource_id: h for h in self.department.handlers}
        self.sm2 = s.load_sm2_key()
        self.engine = create_gateway_engine(s.database_url)
        turn = writer_turn(self.engine)
        if turn is not None and (s.workers > 1 or s.anchor_process):  # processes share the file
            turn.share_across_processes()
        with exclusive(self.engine, "schema"):  # replicas and workers may start together
            init_schema(self.engine)
            init_log(self.engine)
        self.data_engine = create_data_engine(s.data_url)
        self.manifest = Manifest.load(s.manifest_path)
        self.contracts = ContractSet(make_web3(s.rpc_url, timeout=s.chain_timeout_s), self.manifest)
        self.view = ChainView(self.engine, self.contracts, self.provider)
        start = self.manifest.contracts["ConsortiumRegistry"].block_number
        self.follower = ChainFollower(
            self.contracts,
            self.view,
            start_block=start,
            poll_interval=s.view_poll_interval_s,
            ws_url=s.websocket_url(),
        )
        self.metrics = GatewayMetrics()
        self.committer = GroupCommitter(
            self.engine,
            key=self.sm2,
            clock=self.clock,
            max_backlog=s.max_backlog,
            max_group=s.commit_max_group,
            linger_s=s.commit_linger_ms / 1000,
            on_group=self.metrics.group_committed,
        )
        self.pipeline = Pipeline(
            view=self.view,
            handlers=self.handlers,
            clock=self.clock,
            skew_ms=int(s.clock_skew_s * 1000),
            allow_unbound=s.answers_unbound_requests,
        )
        self.anchorer = Anchorer(
            engine=self.engine,
            contracts=self.contracts,
            account=load_account(s.chain_key()),
            sm2=self.sm2,
            provider=self.provider,
            committer=self.committer,
            clock=self.clock,
            grant_state=self._grant_state,
            batch_size=s.batch_size,
            batch_max_receipts=s.batch_max_receipts,
            batch_max_age_s=s.batch_max_age_s,
            interval_s=s.anchor_interval_s,
            timeout_s=s.chain_timeout_s,
            on_anchored=self._on_anchored,
            leads=self.anchors,
        )
        #: Batches anchored when this process started (/healthz counts those since).
        self._batches_at_start = self.anchorer.batches_done
        self.subjects = 0
        #: Started and shut down with the other background threads (None when stopped).
        self._sealing: ThreadPoolExecutor | None = None
        #: Checks requests' signatures on a thread of its own (the event loop goes on).
        self.verifier = SignatureVerifier()

    # --------------------------------------------------------------------- lifecycle

    def start(self, *, sync_timeout: float = 60.0) -> None:
        """Index subjects, catch the view up with the chain, start the background work."""
        self.rebuild_subject_index()
        self.committer.start()
        self.verifier.start()
        self._sealing = ThreadPoolExecutor(SEALING_THREADS, "answer-sealing")
        self.follower.start()
        deadline = time.monotonic() + sync_timeout
        while self.follower.confirmed_at is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.follower.confirmed_at is None:
            _log.warning("chain view not synchronised at start: %s", self.follower.last_error)
        self.anchorer.start()

    def stop(self) -> None:
        self.anchorer.stop()
        self.follower.stop()
        self.committer.stop()
        self.verifier.stop()
        if self._sealing is not None:
            self._sealing.shutdown(wait=True)
            self._sealing = None
        self.engine.dispose()
        self.data_engine.dispose()

    def rebuild_subject_index(self) -> int:
        """Recompute the pseudonyms of the department's subjects (after a data load)."""
        with exclusive(self.engine, "subjects"):
            self.subjects = build_subject_index(
                engine=self.engine,
                data_engine=self.data_engine,
                department=self.department,
                key=self.settings.pseudonym_key_bytes(),
            )
        return self.subjects

    # ---------------------------------------------------------------------- queries

    def availability(self) -> None:
        """Refuse (fail closed) when the log, the view or the database cannot be trusted."""
        try:
            self._availability()
        except Exception as exc:
            if is_unavailable(exc):
                raise storage_refusal(exc) from None
            raise

    def _availability(self) -> None:
        s = self.settings
        lag = self.follower.lag()
        if lag is None:
            raise r.ChainUnavailable("the chain view has not synchronised yet")
        # While the node answers, the view must have confirmed its head recently. While it does
        # not, the last view serves within the backlog bound (design: bounded backlog).
        bound = s.view_max_lag_s if self.follower.reachable else s.max_backlog_age_s
        if lag > bound:
            raise r.ChainUnavailable(view_lag_s=round(lag, 3), bound_s=bound)
        # An early refusal from what this process knows; the receipt log judges the bound
        # exactly, inside the transaction that would go past it (replicas included).
        backlog = max(
            0, self.committer.head + self.committer.inflight - self.anchorer.anchored_upto
        )
        if backlog >= s.max_backlog:
            raise r.ChainUnavailable(unanchored_receipts=backlog, bound=s.max_backlog)
        oldest = self.anchorer.oldest_unanchored_ms()
        if oldest is not None and self.clock.now_ms() - oldest > s.max_backlog_age_s * 1000:
            raise r.ChainUnavailable(oldest_unanchored_age_s=(self.clock.now_ms() - oldest) // 1000)

    async def answer(self, signed: SignedRequest, *, channel: str | None = None) -> bytes:
        """Check, read, commit the signed receipt; the canonical Answer bytes, or a Refusal.

        ``channel`` is that of the TLS client certificate the request came with, if any.
        """
        try:
            return await self._answer(signed, channel)
        except Exception as exc:
            if is_unavailable(exc):  # a read on the way (view, replay check, data) failed
                _log.warning("query refused, database unavailable: %s", exc)
                raise storage_refusal(exc) from None
            raise

    async def _answer(self, signed: SignedRequest, channel: str | None) -> bytes:
        self.availability()
        # Read before the checks: the view had applied at least this block when it judged.
        view_block = max(0, self.follower.processed_block)
        verdict = await self._verify_signature(signed)
        checked = self.pipeline.check(signed, channel=channel, verdict=verdict)
        g = checked.grant
        reservation = self.committer.reserve(
            request_id=checked.request.request_id,
            grant_id=g.grant_id,
            resource=checked.request.resource,
            max_uses=g.max_uses,
            uses=g.resource_uses,
        )
        try:
            data = read_data(self.data_engine, checked)
            sealed = self._sealed(checked)
            payload = Payload.for_sealing(data) if sealed else Payload.clear(data)
            draft = ReceiptDraft.of(
                provider=self.provider, checked=checked, payload=payload, view_block=view_block
            )
        except BaseException:
            self.committer.release(reservation)
            raise
        receipt = await self.committer.commit(reservation, draft)
        answer = partial(build_answer, checked=checked, payload=payload, receipt=receipt)
        if sealed:  # the loop's longest step: off the loop, beside the next requests' checks
            sealing = partial(answer, recipient=self.view.members[checked.request.consumer].key)
            body = await asyncio.get_running_loop().run_in_executor(self._sealing, sealing)
        else:
            body = answer()
        self.metrics.receipts.inc()
        return body

    async def _verify_signature(self, signed: SignedRequest) -> SignatureVerdict:
        """The pipeline's first check, its SM2 verification off the event loop's thread (the
        pipeline refuses what it judged invalid)."""
        key = self.pipeline.consumer_key(signed)
        parts = signed_parts(signed)
        valid = parts is not None and await self.verifier.verify(key, *parts)
        return SignatureVerdict(key, valid)

    def _sealed(self, checked: Checked) -> bool:
        """Sealed when the request asks, or the catalogue rates the resource sensitive."""
        entry = self.view.resources[checked.request.resource]
        return checked.request.seal or entry.sensitivity >= SEALED_FROM_SENSITIVITY

    # ----------------------------------------------------------------------- status

    def _grant_state(self, grant_id: str, resource: str) -> GrantState | None:
        snap = self.view.grant(grant_id, resource)
        if snap is None:
            return None
        now_s = self.clock.now_ms() // 1000
        active = snap.status == 2 and snap.not_before <= now_s <= snap.not_after
        return GrantState(active, snap.resource_uses, snap.max_uses)

    def _on_anchored(self, size: int) -> None:
        self.metrics.batches.inc()
        self.metrics.anchored.inc(size)

    def health(self) -> dict[str, Any]:
        """What /healthz reports; ``ok`` is False when queries would be refused."""
        try:
            self.availability()
            ok, reason = True, None
        except r.Refusal as exc:
            ok, reason = False, exc.to_body()["error"]
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            db_ok = True
        except Exception as exc:
            db_ok = False
            if ok:
                reason = storage_refusal(exc).to_body()["error"]
        lag = self.follower.lag()
        self.refresh_gauges()
        return {
            "ok": ok and db_ok,
            "provider": self.provider,
            "refusing": reason,
            "db_ok": db_ok,
            "chain_reachable": self.follower.reachable,
            "view_block": self.follower.processed_block,
            "chain_head": self.follower.head_block,
            "view_lag_s": None if lag is None else round(lag, 3),
            "websocket": self.follower.websocket_connected,
            "log_size": self.committer.head,
            "log_error": self.committer.last_error,
            "log_failed_groups": self.committer.failed_groups,
            "commit_groups": self.committer.groups,
            "commit_group_avg": self.committer.average_group,
            "receipts_resigned": self.committer.resigned,
            "commit_groups_lingered": self.committer.lingered,
            "unanchored": self.anchorer.backlog(),
            "anchored_upto": self.anchorer.anchored_upto,
            **self._anchoring(),
            "subjects": self.subjects,
        }

    def _anchoring(self) -> dict[str, Any]:
        """How anchoring goes, from this process's anchorer or, with ``anchor_process``, from
        the anchoring process's last status (batches: those anchored since this start)."""
        a = self.anchorer
        if self.anchors:
            return {
                "batches_anchored": a.batches_anchored,
                "batch_size": a.batch_cap,
                "block_gas_limit": a.gas_limit,
                "anchoring_ok": a.ok,
                "anchor_error": a.error,
            }
        status = read_status()
        error: str | None
        if status is None:
            ok, error = False, "the anchoring process has not reported (QC_GW_ANCHOR_PROCESS)"
        elif status.age_s() > STALE_AFTER_S:
            ok, error = False, f"the anchoring process last reported {status.age_s():.0f} s ago"
        else:
            ok, error = status.ok, status.error
        return {
            "batches_anchored": a.batches_done - self._batches_at_start,
            "batch_size": a.batch_cap if status is None else status.batch_size,
            "block_gas_limit": None if status is None else status.block_gas_limit,
            "anchoring_ok": ok,
            "anchor_error": error,
            "anchoring_restarts": None if status is None else status.restarts,
        }

    def refresh_gauges(self) -> None:
        lag = self.follower.lag()
        m = self.metrics
        m.view_lag.set(-1 if lag is None else lag)
        m.view_block.set(self.follower.processed_block)
        m.chain_head.set(self.follower.head_block)
        m.backlog.set(self.anchorer.backlog())
