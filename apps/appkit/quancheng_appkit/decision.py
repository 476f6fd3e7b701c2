"""Decisions taken from verified answers, and the grants a consumer asks for to take them.

A decision function is pure: it reads only the answers it is given (each carries the
gateway's receipt id) and the application, and returns a :class:`Decision` that names
every receipt it relied on, so that an auditor can replay it from the chain's receipts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from quancheng.protocol import GrantMode, Purpose, ScopeItem
from quancheng_appkit.errors import (
    DuplicateEvidence,
    IncompleteEvidence,
    MissingEvidence,
    UnexpectedEvidence,
)
from quancheng_appkit.resource import SqlResource


class Outcome(StrEnum):
    """What the decision says to do."""

    APPROVE = "APPROVE"
    REFER = "REFER"  # a claims or loan officer decides
    REJECT = "REJECT"

    @property
    def label(self) -> str:
        """The outcome as an officer reads it."""
        return {"APPROVE": "通过", "REFER": "转人工审核", "REJECT": "拒绝"}[self.value]


class Severity(IntEnum):
    """How a finding weighs on the outcome: the worst finding decides."""

    INFO = 0
    REFER = 1
    REJECT = 2


_OUTCOME = {
    Severity.INFO: Outcome.APPROVE,
    Severity.REFER: Outcome.REFER,
    Severity.REJECT: Outcome.REJECT,
}


class Reason(BaseModel):
    """One reason behind a decision: a stable code for systems, a sentence for officers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,47}$")
    text: str = Field(min_length=1)


class Decision(BaseModel):
    """An auditable decision: outcome, amount, reasons and the receipts of its evidence.

    ``amount_fen`` is the payout (claims) or the credit limit (credit) in fen.  On REFER it
    is the amount the rules would grant, for the officer to confirm; on REJECT it is 0.
    ``score`` (0-1000) is set by credit decisions only.  ``receipt_ids`` lists the
    receipts of the answers used, in the order the decision reads them; it is empty only
    if no department held any record of the subject (see :class:`NoRecord`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    outcome: Outcome
    amount_fen: int = Field(ge=0)
    score: int | None = Field(default=None, ge=0, le=1000)
    reasons: tuple[Reason, ...] = Field(min_length=1)
    receipt_ids: tuple[str, ...]


class Evidence(Protocol):
    """A verified answer as decisions read it (the SDK's ``VerifiedAnswer`` is one)."""

    @property
    def data(self) -> Mapping[str, Any]: ...

    @property
    def receipt_id(self) -> str: ...

    @property
    def resource(self) -> str: ...


@dataclass(frozen=True)
class EvidenceItem:
    """A plain :class:`Evidence`: an answer's data, its receipt id and its resource."""

    resource: str
    data: Mapping[str, Any]
    receipt_id: str
    provider: str = ""


class ConsumerClientLike(Protocol):
    """What the services need of the SDK's ``ConsumerClient``."""

    def query(
        self,
        grant_id: str,
        resource: str,
        fields: tuple[str, ...],
        *,
        params: Mapping[str, str | int] | None = None,
    ) -> Evidence: ...


@dataclass(frozen=True)
class NoRecord:
    """A department's word that it holds no record at all of the subject.

    The gateway refuses such a query (``SUBJECT_NOT_FOUND``) and issues no receipt: a
    person without a housing-fund account, a living person at the death registry.  A
    decision reads a resource with no record as empty: every value ``None``, no records.
    """

    resource: str
    provider: str = ""


@dataclass
class Findings:
    """The findings of one decision, in the order they were made."""

    items: list[tuple[Severity, Reason]] = field(default_factory=list)

    @classmethod
    def of(cls, evidence: EvidenceSet) -> Findings:
        """Findings that start by noting the resources holding no record of the subject."""
        findings = cls()
        for resource in evidence.no_record:
            findings.add(
                Severity.INFO, "NO_RECORD", f"{resource}：数据提供方无该主体的记录（无数据回执）"
            )
        return findings

    def add(self, severity: Severity, code: str, text: str) -> None:
        """Record a finding."""
        self.items.append((severity, Reason(code=code, text=text)))

    @property
    def worst(self) -> Severity:
        """The heaviest finding so far (INFO when there is none)."""
        return max((s for s, _ in self.items), default=Severity.INFO)

    def decide(
        self, kind: str, amount_fen: int, evidence: EvidenceSet, score: int | None = None
    ) -> Decision:
        """The decision: the worst finding sets the outcome; REJECT pays nothing."""
        outcome = _OUTCOME[self.worst]
        return Decision(
            kind=kind,
            outcome=outcome,
            amount_fen=0 if outcome is Outcome.REJECT else amount_fen,
            score=score,
            reasons=tuple(r for _, r in self.items),
            receipt_ids=evidence.receipt_ids,
        )


class EvidenceSet:
    """The answers one decision relies on: exactly one per resource it needs."""

    def __init__(
        self, decision: str, answers: Iterable[Evidence | NoRecord], needs: Sequence[str]
    ) -> None:
        self.decision = decision
        self._by_resource: dict[str, Evidence | NoRecord] = {}
        for answer in answers:
            if answer.resource not in needs:
                raise UnexpectedEvidence(decision, answer.resource)
            if answer.resource in self._by_resource:
                raise DuplicateEvidence(decision, answer.resource)
            self._by_resource[answer.resource] = answer
        for resource in needs:
            if resource not in self._by_resource:
                raise MissingEvidence(decision, resource)
        ordered = [self._by_resource[r] for r in needs]
        #: Receipts of the answers, in the order of ``needs``.
        self.receipt_ids = tuple(a.receipt_id for a in ordered if not isinstance(a, NoRecord))
        #: Resources whose department holds no record of the subject.
        self.no_record = tuple(a.resource for a in ordered if isinstance(a, NoRecord))

    def values(self, resource: str, names: Sequence[str]) -> dict[str, Any]:
        """The named values of a resource's answer (fields of a single record, indicators)."""
        answer = self._by_resource[resource]
        if isinstance(answer, NoRecord):
            return dict.fromkeys(names)
        missing = [n for n in names if n not in answer.data]
        if missing:
            raise IncompleteEvidence(resource, missing)
        return {n: answer.data[n] for n in names}

    def number(self, resource: str, name: str) -> int | None:
        """An integer value (or ``None``) of a resource's answer."""
        value = self.values(resource, [name])[name]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise IncompleteEvidence(resource, [name], "not an integer")
        return value

    def flag(self, resource: str, name: str) -> bool | None:
        """A boolean value (or ``None``) of a resource's answer."""
        value = self.values(resource, [name])[name]
        if value is not None and not isinstance(value, bool):
            raise IncompleteEvidence(resource, [name], "not a boolean")
        return value

    def text(self, resource: str, name: str) -> str | None:
        """A text value (or ``None``) of a resource's answer."""
        value = self.values(resource, [name])[name]
        if value is not None and not isinstance(value, str):
            raise IncompleteEvidence(resource, [name], "not text")
        return value

    def records(self, resource: str, names: Sequence[str]) -> list[dict[str, Any]]:
        """A record resource's column-wise answer turned into one dict per record."""
        if isinstance(self._by_resource[resource], NoRecord):
            return []
        columns = self.values(resource, names)
        lengths = {len(v) if isinstance(v, list) else -1 for v in columns.values()}
        if len(lengths) != 1 or -1 in lengths:
            raise IncompleteEvidence(resource, names, "not equal-length record columns")
        count = lengths.pop()
        return [{n: columns[n][i] for n in names} for i in range(count)]


class GrantTemplate(BaseModel):
    """What a consumer asks an owner to authorize for one kind of claim or application."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    title: str
    purpose: Purpose
    mode: GrantMode
    scope: tuple[ScopeItem, ...]
    period_days: int = Field(ge=1, description="the data period to request, ending today")

    def fields_for(self, resource: str) -> tuple[str, ...]:
        """The fields (or indicators) the template grants from ``resource``."""
        for item in self.scope:
            if item.resource == resource:
                return item.fields
        raise KeyError(resource)

    @property
    def resources(self) -> tuple[str, ...]:
        """The resources of the scope, in order."""
        return tuple(item.resource for item in self.scope)


def grant_template(
    key: str,
    title: str,
    purpose: Purpose,
    mode: GrantMode,
    period_days: int,
    scope: Sequence[tuple[SqlResource, Sequence[str]]],
) -> GrantTemplate:
    """A template checked against the resources' specs: names offered, purpose allowed."""
    items = []
    for handler, names in scope:
        spec = handler.spec
        offered = spec.fields if mode is GrantMode.RAW else spec.indicators
        unknown = sorted(set(names) - set(offered))
        if unknown:
            raise ValueError(f"template {key}: {spec.resource_id} does not offer {unknown}")
        if purpose not in handler.purposes:
            raise ValueError(f"template {key}: {spec.resource_id} does not allow {purpose!r}")
        items.append(ScopeItem(resource=spec.resource_id, fields=tuple(sorted(set(names)))))
    return GrantTemplate(
        key=key,
        title=title,
        purpose=purpose,
        mode=mode,
        scope=tuple(items),
        period_days=period_days,
    )


def yuan(fen: int) -> str:
    """An amount in fen as officers read it: ``497750`` -> ``4,977.50 元``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d} 元"
