"""The fixed catalogue of purposes an owner can authorize (on chain as a uint8 code), and the
tiers of authorization the city's policy asks for (依场景 / 分领域 / 综合授权).

A grant's purpose is either a **scenario** (codes 1..99: one use, e.g. 车险理赔), a **domain**
(100 insurance, 101 credit: every scenario of the domain) or **comprehensive** (200: every
scenario). A query always names one scenario purpose, which the grant's purpose must cover;
resources list the scenario purposes they allow. :func:`covered_purposes` and :func:`tier_of`
are exactly ``GrantRegistry.purposesOf`` and ``GrantRegistry.tierOf`` (checked for all 256
codes against the contract).

Example:
    >>> from quancheng.protocol.purposes import Purpose, covers, tier_of
    >>> tier_of(Purpose.CREDIT_DOMAIN).name
    'DOMAIN'
    >>> covers(Purpose.CREDIT_DOMAIN, Purpose.SME_CREDIT), covers(Purpose.CREDIT_DOMAIN, 1)
    (True, False)
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "DOMAINS",
    "TIER_LABELS",
    "GrantTier",
    "Purpose",
    "covered_purposes",
    "covers",
    "purposes_of",
    "tier_of",
]

#: Codes below this one name a single scenario (``GrantRegistry.DOMAIN_INSURANCE``).
_FIRST_DOMAIN = 100


class GrantTier(IntEnum):
    """``IGrantRegistry.GrantTier``: how much a grant's purpose covers (fixed by its code)."""

    NONE = 0
    SCENARIO = 1
    DOMAIN = 2
    COMPREHENSIVE = 3


class Purpose(IntEnum):
    """Why a consumer may use the data: a scenario, or a domain / all scenarios (grants only)."""

    MOTOR_CLAIM = 1  # 车险理赔
    LIFE_CLAIM = 2  # 寿险理赔
    MEDICAL_CLAIM = 3  # 商业医疗险理赔
    UNDERWRITING = 4  # 承保核保
    SME_CREDIT = 5  # 小微企业信贷
    PERSONAL_CREDIT = 6  # 个人信贷
    POST_LOAN = 7  # 贷后管理
    INSURANCE_DOMAIN = 100  # 保险领域: every insurance scenario
    CREDIT_DOMAIN = 101  # 信贷领域: every credit scenario
    COMPREHENSIVE = 200  # 综合授权: every scenario

    @property
    def label(self) -> str:
        """The purpose in plain Chinese, as owners see it (a domain lists its scenarios)."""
        return _LABELS[self]

    @property
    def bit(self) -> int:
        """This purpose's bit in a resource's ``allowedPurposes`` mask (scenarios only)."""
        return 1 << int(self)

    @property
    def tier(self) -> GrantTier:
        """The tier of a grant of this purpose."""
        return tier_of(self)

    @property
    def is_scenario(self) -> bool:
        """True for a scenario, the only kind of purpose a query or a resource names."""
        return self.tier is GrantTier.SCENARIO

    @property
    def scenarios(self) -> tuple[Purpose, ...]:
        """The catalogue's scenarios a grant of this purpose covers, in code order."""
        return tuple(p for p in Purpose if p.is_scenario and covers(self, p))


#: The scenarios of each domain code (``GrantRegistry._INSURANCE_PURPOSES`` / ``_CREDIT_PURPOSES``).
DOMAINS: dict[int, frozenset[int]] = {
    Purpose.INSURANCE_DOMAIN: frozenset({1, 2, 3, 4}),
    Purpose.CREDIT_DOMAIN: frozenset({5, 6, 7}),
}


def purposes_of(purpose: int) -> int:
    """The scenario purposes a grant of code ``purpose`` covers, as a bitmask (bit p ⇔ code p).

    Exactly ``GrantRegistry.purposesOf``: 0 for 0 and for codes outside the catalogue; a
    scenario code 1..99 covers itself (also one this SDK does not name yet).
    """
    code = int(purpose)
    if not 0 < code < 256:
        return 0
    if code < _FIRST_DOMAIN:
        return 1 << code
    if code == Purpose.COMPREHENSIVE:
        return _mask(frozenset().union(*DOMAINS.values()))
    return _mask(DOMAINS.get(code, frozenset()))


def covered_purposes(purpose: int) -> frozenset[int]:
    """The scenario codes a grant of code ``purpose`` covers (``Purpose`` members where named).

    Example:
        >>> sorted(covered_purposes(Purpose.CREDIT_DOMAIN))
        [<Purpose.SME_CREDIT: 5>, <Purpose.PERSONAL_CREDIT: 6>, <Purpose.POST_LOAN: 7>]
    """
    mask = purposes_of(purpose)
    return frozenset(_named(code) for code in range(1, 256) if mask >> code & 1)


def tier_of(purpose: int) -> GrantTier:
    """The tier of a grant of code ``purpose``: exactly ``GrantRegistry.tierOf``."""
    code = int(purpose)
    if purposes_of(code) == 0:
        return GrantTier.NONE
    if code < _FIRST_DOMAIN:
        return GrantTier.SCENARIO
    if code == Purpose.COMPREHENSIVE:
        return GrantTier.COMPREHENSIVE
    return GrantTier.DOMAIN


def covers(grant_purpose: int, purpose: int) -> bool:
    """Whether a grant of purpose ``grant_purpose`` lets its consumer query under ``purpose``.

    ``purpose`` must be a scenario: a domain or comprehensive code is never a query's purpose.
    """
    code = int(purpose)
    return 0 < code < _FIRST_DOMAIN and bool(purposes_of(grant_purpose) >> code & 1)


def _mask(codes: frozenset[int]) -> int:
    mask = 0
    for code in codes:
        mask |= 1 << code
    return mask


def _named(code: int) -> int:
    try:
        return Purpose(code)
    except ValueError:
        return code


_LABELS = {
    Purpose.MOTOR_CLAIM: "车险理赔",
    Purpose.LIFE_CLAIM: "寿险理赔",
    Purpose.MEDICAL_CLAIM: "商业医疗险理赔",
    Purpose.UNDERWRITING: "承保核保",
    Purpose.SME_CREDIT: "小微企业信贷",
    Purpose.PERSONAL_CREDIT: "个人信贷",
    Purpose.POST_LOAN: "贷后管理",
    Purpose.INSURANCE_DOMAIN: "保险领域（车险理赔、寿险理赔、商业医疗险理赔、承保核保）",
    Purpose.CREDIT_DOMAIN: "信贷领域（小微企业信贷、个人信贷、贷后管理）",
    Purpose.COMPREHENSIVE: "综合授权（所有场景）",
}

#: The tiers in plain Chinese, as the city's policy names them.
TIER_LABELS: dict[GrantTier, str] = {
    GrantTier.NONE: "不在用途目录中",
    GrantTier.SCENARIO: "依场景授权",
    GrantTier.DOMAIN: "分领域授权",
    GrantTier.COMPREHENSIVE: "综合授权",
}
