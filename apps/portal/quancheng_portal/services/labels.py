"""Plain-Chinese words for what the chain stores as codes, and times in China Standard Time."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from quancheng.chain import GrantStatus
from quancheng.protocol import GrantMode, GrantTier, Purpose, tier_of
from quancheng.protocol.documents import CST
from quancheng.protocol.purposes import TIER_LABELS

__all__ = [
    "MODE_EXPLAINED",
    "MODE_LABELS",
    "STATUS_LABELS",
    "Name",
    "cst_text",
    "ms_text",
    "purpose_label",
    "receipt_tier_label",
    "tier_label",
    "tier_warning",
]

STATUS_LABELS: dict[GrantStatus, str] = {
    GrantStatus.NONE: "不存在",
    GrantStatus.PENDING: "待您处理",
    GrantStatus.ACTIVE: "生效中",
    GrantStatus.PAUSED: "已暂停",
    GrantStatus.REVOKED: "已撤销",
    GrantStatus.EXPIRED: "已过期",
    GrantStatus.EXHAUSTED: "次数已用完",
    GrantStatus.REJECTED: "已拒绝",
}

MODE_LABELS: dict[GrantMode, str] = {
    GrantMode.RAW: "原始数据",
    GrantMode.DERIVED: "加工结果",
}

MODE_EXPLAINED: dict[GrantMode, str] = {
    GrantMode.RAW: "机构可以看到下列字段的原始内容（例如号牌号码、缴费金额）。",
    GrantMode.DERIVED: (
        "机构看不到原始记录，只能得到由这些数据算出的结论或数字（例如“是否正常”“共几辆车”）。"
    ),
}


class Name(BaseModel):
    """Something the pages name — an institution, a resource, a field or an indicator — by
    its Chinese name when one is known; the code is then at most secondary text."""

    code: str
    #: The Chinese name (None: none is known, and the pages show the code, muted).
    label: str | None = None

    @property
    def text(self) -> str:
        """What to show: the name, or the code when there is none."""
        return self.label or self.code


def purpose_label(code: int) -> str:
    """The purpose in plain Chinese (or its number if the catalogue is newer than the portal)."""
    try:
        return Purpose(code).label
    except ValueError:
        return f"用途 {code}"


def tier_label(code: int) -> str:
    """The grant's tier and purpose as one phrase: ``分领域授权：信贷领域（小微企业信贷、…）``.

    A comprehensive grant's label already names its tier (``综合授权（所有场景）``).
    """
    tier = tier_of(code)
    if tier is GrantTier.COMPREHENSIVE:
        return purpose_label(code)
    return f"{TIER_LABELS[tier]}：{purpose_label(code)}"


def receipt_tier_label(tier: str | None) -> str:
    """A receipt's ``tier`` (``"DOMAIN"``) in plain Chinese (``分领域授权``)."""
    try:
        return TIER_LABELS[GrantTier[tier or ""]]
    except KeyError:
        return "未注明"


def tier_warning(code: int) -> str | None:
    """What a domain or comprehensive grant lets the institution do, in plain words (else None)."""
    tier = tier_of(code)
    if tier is GrantTier.DOMAIN:
        scenarios = "、".join(p.label for p in Purpose(code).scenarios)
        return (
            f"这是一项分领域授权：机构可以把这些数据用于该领域的任何一种用途（{scenarios}），"
            "而不只是某一件事；每次查询都会记下具体用途，您可以在“访问记录”中查看。"
        )
    if tier is GrantTier.COMPREHENSIVE:
        return (
            "这是一项综合授权：机构可以把这些数据用于目录中的任何一种用途（保险理赔、承保、"
            "各类信贷等），而不只是某一件事；每次查询都会记下具体用途，您可以在“访问记录”中查看。"
        )
    return None


def cst_text(unix_seconds: int) -> str:
    """``2025年3月1日 14:05`` in China Standard Time (any integer a chain can hold)."""
    t = _cst(unix_seconds)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}" if t else _beyond(unix_seconds)


def ms_text(unix_ms: int) -> str:
    """``2025年3月1日 14:05:09`` in China Standard Time, from Unix milliseconds."""
    t = _cst(unix_ms // 1000)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M:%S}" if t else _beyond(unix_ms // 1000)


def _cst(unix_seconds: int) -> datetime | None:
    # A bank can write any uint64 on chain; past year 9999 no calendar date exists to show.
    try:
        return datetime.fromtimestamp(unix_seconds, CST)
    except (OverflowError, OSError, ValueError):
        return None


def _beyond(unix_seconds: int) -> str:
    return "公元9999年以后" if unix_seconds > 0 else "公元1年以前"
