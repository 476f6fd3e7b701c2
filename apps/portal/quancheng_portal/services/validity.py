"""Whether a grant request is one an owner can meaningfully approve.

A bank that bypasses the SDK can write on chain a request naming a field the resource does
not have, a raw field under a DERIVED grant, a business's data asked of a person, or terms far
outside :data:`quancheng.limits.LIMITS`. Such a request is shown flagged, with what is wrong,
and cannot be approved (rejecting stays possible). The checks are the SDK's own
(:mod:`quancheng.scope_check`), judged against the catalogue and the providers' schemas.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel

from quancheng.errors import QuanchengError
from quancheng.protocol import GrantDocument
from quancheng.scope_check import (
    ResourceFacts,
    Terms,
    count_problems,
    scope_problems,
    terms_problems,
)
from quancheng.scope_errors import (
    FieldModeMismatch,
    FieldNotInCatalogue,
    GrantTermsOutOfBounds,
    ResourceSubjectMismatch,
)
from quancheng_portal.services.directory import Directory

__all__ = ["ProblemView", "request_problems"]

_SUBJECT = {"person": "个人", "business": "企业"}


class ProblemView(BaseModel):
    """One thing wrong with a request, by code and in plain Chinese."""

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
        owner_kind: What the signed-in owner is (the portal's owners are people).
        clock: Wall-clock seconds: validity may end at most 1,096 days from now.
    """
    pairs = [(item.resource, item.fields) for item in doc.scope]
    facts: dict[str, ResourceFacts] = {}
    found: list[ProblemView] = []
    for resource, _ in pairs:
        known = directory.facts(resource)
        if known is None:
            found.append(ProblemView(code="RESOURCE_UNKNOWN", message=f"数据目录中没有 {resource}"))
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
    found.extend(ProblemView(code=p.code, message=_words(p)) for p in problems)
    return found


def _words(problem: QuanchengError) -> str:
    if isinstance(problem, FieldNotInCatalogue):
        return f"{problem.resource} 没有“{problem.field}”这一项数据"
    if isinstance(problem, FieldModeMismatch):
        what = "原始字段" if problem.mode == "DERIVED" else "加工指标"
        return f"“{problem.field}”是{problem.resource}的{what}，不能用在这种授权方式中"
    if isinstance(problem, ResourceSubjectMismatch):
        subject = _SUBJECT.get(problem.subject_kind, problem.subject_kind)
        owner = _SUBJECT.get(problem.owner_kind, problem.owner_kind)
        return f"{problem.resource} 是关于{subject}的数据，而您是{owner}"
    if isinstance(problem, GrantTermsOutOfBounds):
        return f"授权条件超出上限：{problem.term} = {str(problem.value)[:40]}（{problem.limit}）"
    return str(problem)
