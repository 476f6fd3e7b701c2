"""A case from submission to decision: the grant it waits for, the queries, the receipts.

``submit`` checks the grant given (or asks the owner for one, from the kind's template) and
records the case; if the grant is ACTIVE the decision is taken at once (the Python API's
``settle_*`` / ``assess_*``), otherwise the case waits. A waiting case is looked at again by
:meth:`CaseRunner.advance` — on every GET of it, and by a background poller — and decided
as soon as the owner's grant is ACTIVE. Only one caller decides a case: the move from
``waiting_for_grant`` to ``deciding`` is one conditional UPDATE.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from quancheng.chain import GrantStatus
from quancheng.client import ConsumerClient
from quancheng.errors import ChainError, QuanchengError
from quancheng.gateway_client import GatewayUnavailable as SdkGatewayUnavailable
from quancheng.protocol.refusals import ReceiptNotAnchored, Refusal
from quancheng.verified import VerifiedAnswer
from quancheng.verify_errors import ProofVerificationError
from quancheng_appkit.decision import GrantTemplate
from quancheng_appkit.officer.errors import (
    ChainUnavailable,
    DataRefused,
    DecisionFailed,
    GatewayUnavailable,
    GrantNotUsable,
    OfficerError,
)
from quancheng_appkit.officer.grants import GrantDesk
from quancheng_appkit.officer.models import AnchorState, CaseState
from quancheng_appkit.officer.schemas import CasePage, CasePublic, OwnerRef
from quancheng_appkit.officer.store import CaseStore

__all__ = ["CaseKind", "CaseRunner", "RecordingClient"]

_log = logging.getLogger("quancheng_appkit.officer")
_CST = ZoneInfo("Asia/Shanghai")
_WAIT = frozenset({GrantStatus.PENDING, GrantStatus.PAUSED})


@dataclass(frozen=True)
class CaseKind:
    """One kind of case: its inputs, and the Python API call that decides it.

    Attributes:
        template: The grant template of the kind (its key is the kind's).
        model: The inputs (``MotorClaim``, ``SmeApplication``).
        reference_field: The input naming the case (``claim_no``, ``application_no``).
        settle: ``(grant_id, inputs) -> stored decision`` (``ClaimsService.settle_motor_claim``).
        labels: Input → the label the officer's page shows.
    """

    template: GrantTemplate
    model: type[BaseModel]
    reference_field: str
    settle: Callable[[str, Any], Any]
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.template.key


class RecordingClient:
    """The consumer client as decisions use it, keeping each thread's verified answers."""

    def __init__(self, client: ConsumerClient) -> None:
        self.client = client
        self._local = threading.local()

    def query(self, grant_id: str, resource: str, fields: Sequence[str], *,
              params: Mapping[str, str | int] | None = None) -> VerifiedAnswer:  # fmt: skip
        """``ConsumerClient.query``, remembered until :meth:`collect`."""
        answer = self.client.query(grant_id, resource, list(fields), params=params)
        recorded: list[VerifiedAnswer] | None = getattr(self._local, "answers", None)
        if recorded is not None:
            recorded.append(answer)
        return answer

    def record(self) -> None:
        """Start remembering this thread's answers."""
        self._local.answers = []

    def collect(self) -> list[VerifiedAnswer]:
        """The answers since :meth:`record`, in order; stop remembering."""
        answers: list[VerifiedAnswer] = getattr(self._local, "answers", None) or []
        self._local.answers = None
        return answers


class CaseRunner:
    """Submits, decides and reports the cases of one service."""

    def __init__(
        self, recorder: RecordingClient, store: CaseStore, kinds: Mapping[str, CaseKind], *,
        grant_valid_days: int, grant_max_uses: int, data_as_of: date | None = None,
        poll_interval_s: float = 2.0,
    ) -> None:  # fmt: skip
        self.recorder, self.store, self.kinds = recorder, store, kinds
        self.desk = GrantDesk(recorder.client, valid_days=grant_valid_days,
                              max_uses=grant_max_uses)  # fmt: skip
        self.data_as_of, self.poll_interval_s = data_as_of, poll_interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def client(self) -> ConsumerClient:
        return self.recorder.client

    # ---------------------------------------------------------------------- submitting

    def submit(
        self, kind: str, inputs: BaseModel, *, grant_id: str | None, owner: OwnerRef | None
    ) -> CasePublic:
        """Record a case and decide it if its grant is ACTIVE (else it waits).

        Raises:
            OfficerError: The grant cannot serve the case, the owner is not attested, or the
                decision failed (the case is then kept as ``failed``).
        """
        template = self.kinds[kind].template
        if owner is not None:
            grant_id = self.desk.request(template, owner, self._as_of())
        else:
            assert grant_id is not None
            self.desk.check(grant_id, template)
        reference = str(getattr(inputs, self.kinds[kind].reference_field))
        case_id = self.store.insert(
            kind=kind, reference=reference, application=inputs.model_dump(mode="json"),
            grant_id=grant_id,
        )  # fmt: skip
        self.advance(case_id, raise_errors=True)
        return self.store.public(self.store.row(case_id))

    def _as_of(self) -> date:
        return self.data_as_of or datetime.now(_CST).date()

    # ------------------------------------------------------------------------ deciding

    def advance(self, case_id: int, *, raise_errors: bool = False) -> None:
        """Decide a waiting case if its grant is ACTIVE; fail it if the grant ended.

        The grant is read before the case is taken, so a case whose owner has not decided
        stays ``waiting_for_grant`` throughout: no reader sees it ``deciding`` meanwhile.
        """
        store = self.store
        row = store.row(case_id)
        if row.state != CaseState.WAITING_FOR_GRANT:
            return
        try:
            status = self.client.grant_status(row.grant_id)
        except (ChainError, OSError) as exc:
            if raise_errors:
                raise ChainUnavailable(reason=f"{type(exc).__name__}: {exc}") from exc
            return
        if status in _WAIT:
            return
        if not store.take(case_id, from_state=CaseState.WAITING_FOR_GRANT,
                          to_state=CaseState.DECIDING):  # fmt: skip
            return  # another caller (a GET, the poller) decides it
        error: OfficerError | None
        if status is not GrantStatus.ACTIVE:
            error = GrantNotUsable(grant_id=row.grant_id, grant_status=status.name)
            store.finish(case_id, CaseState.FAILED, error=error)
        else:
            error = self._decide(row)
        if error is not None and raise_errors:
            raise error

    def _decide(self, row: Any) -> OfficerError | None:
        kind = self.kinds[row.kind]
        common = {"noun": self.store.noun, "case_id": row.id}
        error: OfficerError | None = None
        self.recorder.record()
        try:
            decision = kind.settle(row.grant_id, kind.model.model_validate(row.application))
        except Refusal as exc:
            error = DataRefused(**common, cause=exc.code, reason=str(exc))
        except SdkGatewayUnavailable as exc:
            error = GatewayUnavailable(**common, reason=str(exc))
        except QuanchengError as exc:
            error = DecisionFailed(**common, reason=f"{exc.code}: {exc}")
        except Exception as exc:  # a bug must not leave the case "deciding" for ever
            _log.exception("deciding case %s", row.id)
            error = DecisionFailed(**common, reason=type(exc).__name__)
        finally:
            answers = self.recorder.collect()
        if error is not None:
            self.store.finish(row.id, CaseState.FAILED, error=error)
            return error
        self.store.finish(row.id, CaseState.DECIDED, decision_id=int(decision.id),
                          answers=answers)  # fmt: skip
        return None

    # ------------------------------------------------------------------------- reading

    def case(self, case_id: int) -> CasePublic:
        """A case now: decided if its grant became ACTIVE, its receipts' anchors checked."""
        self.advance(case_id)
        self.check_anchors(case_id)
        return self.store.public(self.store.row(case_id))

    def page(self, *, offset: int, limit: int, state: CaseState | None = None) -> CasePage:
        """Cases newest first (as recorded: a GET of one case brings it up to date)."""
        return self.store.page(offset=offset, limit=limit, state=state)

    def check_anchors(self, case_id: int) -> None:
        """Ask the gateways for the inclusion proofs of receipts not yet proven (SDK-verified)."""
        for r in self.store.receipt_rows(case_id):
            if r.anchor_state in (AnchorState.ANCHORED, AnchorState.INVALID):
                continue
            try:
                inclusion = self.client.receipt_proof(
                    r.receipt_id, endpoint=r.endpoint, provider=r.provider
                )
            except ReceiptNotAnchored:
                self.store.record_anchor(r.id, AnchorState.PENDING)
            except ProofVerificationError:
                _log.warning("receipt %s: inclusion proof does not verify", r.receipt_id)
                self.store.record_anchor(r.id, AnchorState.INVALID)
            except (QuanchengError, OSError) as exc:  # unreachable now: ask again next time
                _log.info("receipt %s: proof not fetched: %s", r.receipt_id, exc)
            else:
                self.store.record_anchor(r.id, AnchorState.ANCHORED, inclusion)

    # ------------------------------------------------------------------------- polling

    def start(self) -> None:
        """Resume cases a stop interrupted; look at waiting cases every poll interval."""
        self.store.resume_interrupted()
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="officer-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the poller (a decision under way finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def poll_once(self) -> None:
        """Look at every waiting case once."""
        for case_id in self.store.waiting():
            if self._stop.is_set():
                return
            self.advance(case_id)

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_interval_s):
            try:
                self.poll_once()
            except Exception:  # the poller outlives a chain or database outage
                _log.exception("looking at waiting cases")
