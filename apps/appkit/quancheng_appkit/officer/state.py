"""What a request handler of an officer service reaches: ``request.app.state.officer``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi.templating import Jinja2Templates

from quancheng_appkit.officer.runner import CaseKind, CaseRunner
from quancheng_appkit.officer.settings import OfficerSettings

__all__ = ["Officer"]


@dataclass
class Officer:
    """The service's settings, its cases and the officer pages' look."""

    settings: OfficerSettings
    runner: CaseRunner
    kinds: Mapping[str, CaseKind]
    templates: Jinja2Templates
    #: The pages' heading (``理赔审核``) and the institution's code.
    title: str
    institution: str
