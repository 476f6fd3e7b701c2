"""What one refresh of an owner's access history did, and what the owner is told of it.

A gateway that could not be read is named to the owner by its department's name, in one plain
sentence saying the list may be incomplete (:func:`unreadable_notice`); its address and the
reason, with the error's code, go to the portal's log only (:func:`reason`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quancheng_portal.services.directory import Directory

__all__ = ["RefreshReport", "reason", "unreadable_names", "unreadable_notice"]

#: Said of a department whose name the registry does not give.
_SOME_DEPARTMENT = "一个部门"


@dataclass
class RefreshReport:
    """What one refresh did."""

    new: int = 0
    rechecked: int = 0
    #: Gateways whose log could not be read (entirely) in this refresh.
    unreachable: list[str] = field(default_factory=list)
    #: Why, per gateway: the error's code and message (for the log, never the owner).
    problems: dict[str, str] = field(default_factory=dict)
    #: The providers of the unreadable gateways (codes), for the page to name.
    unreachable_providers: list[str] = field(default_factory=list)


def unreadable_names(report: RefreshReport, directory: Directory) -> list[str]:
    """The departments whose records could not be read, by their registry names, once each."""
    names = [directory.institution(code).label or _SOME_DEPARTMENT
             for code in report.unreachable_providers]  # fmt: skip
    return list(dict.fromkeys(names))


def unreadable_notice(report: RefreshReport, directory: Directory) -> str | None:
    """The owner's notice that the list may be incomplete (None when every gateway was read).

    ``暂时无法读取车管所的记录，下面的访问记录可能不完整。…``: departments by name, with
    no code and no address.
    """
    names = unreadable_names(report, directory)
    if not names:
        return None
    return (
        f"暂时无法读取{'、'.join(names)}的记录，下面的访问记录可能不完整。"
        "请稍后再打开本页，或点“刷新访问记录”再试。"
    )


def reason(exc: BaseException) -> str:
    """Why a gateway's log could not be read, for the log: ``CODE: first line``."""
    code = getattr(exc, "code", None) or type(exc).__name__
    return f"{code}: {str(exc).splitlines()[0] if str(exc) else ''}"
