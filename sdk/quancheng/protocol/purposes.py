"""The fixed catalogue of purposes an owner can authorize (on chain as a uint8 code)."""

from __future__ import annotations

from enum import IntEnum


class Purpose(IntEnum):
    """Why a consumer may use the data; resources list the purposes they allow."""

    MOTOR_CLAIM = 1  # 车险理赔
    LIFE_CLAIM = 2  # 寿险理赔
    MEDICAL_CLAIM = 3  # 商业医疗险理赔
    UNDERWRITING = 4  # 承保核保
    SME_CREDIT = 5  # 小微企业信贷
    PERSONAL_CREDIT = 6  # 个人信贷
    POST_LOAN = 7  # 贷后管理

    @property
    def label(self) -> str:
        """The purpose in plain Chinese, as owners see it."""
        return _LABELS[self]

    @property
    def bit(self) -> int:
        """This purpose's bit in a resource's ``allowedPurposes`` mask."""
        return 1 << int(self)


_LABELS = {
    Purpose.MOTOR_CLAIM: "车险理赔",
    Purpose.LIFE_CLAIM: "寿险理赔",
    Purpose.MEDICAL_CLAIM: "商业医疗险理赔",
    Purpose.UNDERWRITING: "承保核保",
    Purpose.SME_CREDIT: "小微企业信贷",
    Purpose.PERSONAL_CREDIT: "个人信贷",
    Purpose.POST_LOAN: "贷后管理",
}

