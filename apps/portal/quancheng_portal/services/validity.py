"""Whether a grant request is one an owner can meaningfully approve.

A bank that bypasses the SDK can write on chain a request naming a field the resource does
not have, a raw field under a DERIVED grant, a business's data asked of a person, or terms far
outside :data:`quancheng.limits.LIMITS`. Such a request is shown flagged, with what is wrong,
and cannot be approved (rejecting stays possible). The checks are the SDK's own
(:mod:`quancheng.scope_check`), judged against the catalogue and the providers' schemas.

Each problem is told to the owner as one plain Chinese sentence: data by the Chinese names
the catalogue and the providers publish (never a code: a name nobody published is described,
not spelled out), numbers with their units and the bound they break. The problem's code
stays beside it for logs, refusals and tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from pydantic import BaseModel

from quancheng.errors import QuanchengError
from quancheng.limits import LIMITS
from quancheng.protocol import GrantDocument
from quancheng.scope_check import (
    ResourceFacts,
    Terms,
    count_problems,
    scope_problems,
    terms_problems,
)
from quancheng.scope_errors import (
    DataPeriodOutOfBounds,
    FieldModeMismatch,
    FieldNotInCatalogue,
    MaxUsesOutOfBounds,
    ResourceSubjectMismatch,
    TooManyFields,
    TooManyResources,
    ValidityOutOfBounds,
)
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.labels import cst_text

__all__ = ["RESOURCE_UNKNOWN", "ProblemView", "request_problems"]

#: A resource the data catalogue does not list (the SDK has no error for it: it never sends one).
RESOURCE_UNKNOWN = "RESOURCE_UNKNOWN"
_SUBJECT = {"person": "个人", "business": "企业"}
#: Said of a problem whose kind this portal does not know yet (a newer SDK's).
_UNFORESEEN = "这项请求有不符合授权规定的地方。"


class ProblemView(BaseModel):
    """One thing wrong with a request: its code (logs, tests) and, for the owner, a sentence."""

    code: str
    message: str


def request_problems(
    doc: GrantDocument,
    directory: Directory,
    *,
    owner_kind: str = "person",
    clock: Callable[[], float] = time.time,
) -> list[ProblemView]:
    """Everything that keeps ``doc`` from being approvable (empty when it is sound).

    Args:
        doc: The grant document as requested.
        directory: The catalogue and the providers' published schemas.
        owner_kind: What the signed-in owner is: ``person``, or ``business`` (an enterprise).
        clock: Wall-clock seconds: validity may end at most 1,096 days from now.
    """
    pairs = [(item.resource, item.fields) for item in doc.scope]
    facts: dict[str, ResourceFacts] = {}
    found: list[ProblemView] = []
    for resource, _ in pairs:
        known = directory.facts(resource)
        if known is None:
            message = "机构要读取的一类数据不在全市数据目录中，无法确认它是什么。"
            found.append(ProblemView(code=RESOURCE_UNKNOWN, message=message))
        else:
            facts[resource] = known
    terms = Terms(
        doc.max_uses, doc.not_before, doc.not_after, doc.data_from, doc.data_to, int(clock())
    )
    problems: list[QuanchengError] = [
        *count_problems(pairs),
        *scope_problems(pairs, doc.mode.value, facts, owner_kind),
        *terms_problems(terms),
    ]
    words = _Words(doc, directory)
    found.extend(ProblemView(code=p.code, message=words.of(p)) for p in problems)
    return found


class _Words:
    """The owner's sentence for each problem of one request."""

    def __init__(self, doc: GrantDocument, directory: Directory) -> None:
        self.doc, self.directory = doc, directory

    def of(self, problem: QuanchengError) -> str:
        """One plain Chinese sentence: what is wrong, and the bound where there is one."""
        if isinstance(problem, FieldNotInCatalogue):
            return (
                f"机构要读取{self.resource(problem.resource)}中的一项内容，但数据目录里没有这一项。"
            )
        if isinstance(problem, FieldModeMismatch):
            return self._mode_mismatch(problem)
        if isinstance(problem, ResourceSubjectMismatch):
            subject = _SUBJECT.get(problem.subject_kind, "另一类对象")
            owner = _SUBJECT.get(problem.owner_kind, "另一类对象")
            return (
                f"{self.resource(problem.resource)}是关于{subject}的数据，而您是{owner}，"
                "这项请求不该发给您。"
            )
        if isinstance(problem, TooManyFields):
            return (
                f"从{self.resource(problem.resource)}一次最多可以读取 "
                f"{LIMITS.max_fields_per_resource} 项内容，这项请求列了 {problem.value} 项。"
            )
        if isinstance(problem, TooManyResources):
            return (
                f"一项授权最多包含 {LIMITS.max_resources} 类数据，这项请求包含 {problem.value} 类。"
            )
        if isinstance(problem, MaxUsesOutOfBounds):
            return self._max_uses()
        if isinstance(problem, ValidityOutOfBounds):
            return self._validity(problem.term)
        if isinstance(problem, DataPeriodOutOfBounds):
            return self._data_period(problem.term)
        return _UNFORESEEN

    def resource(self, code: str) -> str:
        """A resource by its catalogue title in quotes; described when it has none."""
        label = self.directory.resource_name(code).label
        return f"“{label}”" if label else "其中一类数据"

    def _mode_mismatch(self, problem: FieldModeMismatch) -> str:
        raw = problem.mode == "DERIVED"  # a raw field under a grant for derived results
        (item,) = self.directory.item_names(problem.resource, [problem.field],
                                            "RAW" if raw else "DERIVED")  # fmt: skip
        kind = "原始内容" if raw else "加工结果"
        named = f"{kind}“{item.label}”" if item.label else f"一项{kind}"
        resource = self.resource(problem.resource)
        if raw:
            return f"这项授权只让机构得到加工后的结论，却要读取{resource}的{named}。"
        return f"这项授权是读取原始内容，却混入了{resource}的{named}。"

    def _max_uses(self) -> str:
        uses = self.doc.max_uses
        if uses < 1:
            return f"机构请求的使用次数是 {uses} 次，至少应为 1 次。"
        return f"机构请求最多使用 {uses:,} 次，超过了上限 {LIMITS.max_uses:,} 次。"

    def _validity(self, term: str) -> str:
        if term == "not_after":
            return (
                f"授权要到 {cst_text(self.doc.not_after)} 才结束，超过了从请求之日起"
                f"最多 {LIMITS.max_ahead_days:,} 天（约三年）的期限。"
            )
        days = (self.doc.not_after - self.doc.not_before) // 86_400
        return f"授权有效期长达 {days:,} 天，超过了上限 {LIMITS.max_validity_days:,} 天（约三年）。"

    def _data_period(self, term: str) -> str:
        try:
            start, end = (
                date.fromisoformat(self.doc.data_from),
                date.fromisoformat(self.doc.data_to),
            )
        except ValueError:
            return "请求的数据时间段不是有效的日期，无法确认机构要读取哪段时间的数据。"
        if term == "data_from":
            return (
                f"机构要读取从 {_day(start)} 起的数据，而数据最早只能从 "
                f"{_day(LIMITS.earliest_data_from)} 起算。"
            )
        return f"请求的数据时间段长达 {(end - start).days:,} 天，超过了上限（最长 30 年）。"


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
