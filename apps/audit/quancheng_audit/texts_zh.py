"""The audit in plain Chinese: one title and one sentence per rule, for a citizen or regulator.

The HTML report puts these before the technical cascade (codes, hashes, expected and found),
so that whoever reads a failing audit first learns what it means — "这张回执在网关签发之后被改动过"
— and only then how it was proven. Every code of :data:`~quancheng_audit.findings.RULES` has an
entry (a test holds it so).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "AREA_TITLES",
    "GRANT_STATUS_TITLES",
    "MEMBER_STATUS_TITLES",
    "ROLE_TITLES",
    "RULE_TEXTS",
    "SEVERITY_TITLES",
    "RuleText",
    "rule_text",
]


class RuleText(NamedTuple):
    """A rule in plain Chinese.

    Attributes:
        title: A few words naming what went wrong (a heading).
        meaning: One sentence on what a finding of the rule means for the owner of the data.
    """

    title: str
    meaning: str


#: Rule code → its title and meaning in plain Chinese.
RULE_TEXTS: dict[str, RuleText] = {
    # ------------------------------------------------------------------ deployment
    "DEPLOYMENT_CODE_MISMATCH": RuleText(
        "链上合约不是经审计的版本",
        "部署清单所列地址上的合约程序，与本项目经过审计的合约不一致（或该地址上根本没有合约）："
        "链上的授权和记录规则可能已被替换，整条链上的记录都不能照常采信。",
    ),
    "DEPLOYMENT_WIRING_MISMATCH": RuleText(
        "链上合约之间的连接被改动",
        "合约本身是经审计的版本，但它指向的登记册、目录、回执账本或部署账户与部署清单不一致："
        "例如授权登记册接受的“回执账本”是另一个合约，它可以替任何提供方记使用次数、耗尽任何授权。",
    ),
    # ---------------------------------------------------------------------- grants
    "GRANT_DOCUMENT_MALFORMED": RuleText(
        "授权文书格式不合规",
        "链上公布的授权文书不是规范格式的授权文书，无法确认数据主体本人同意的到底是什么。",
    ),
    "GRANT_DOCUMENT_DIGEST_MISMATCH": RuleText(
        "授权文书在签署后被替换",
        "链上公布的授权文书与本人签署时登记的摘要不一致：文书在签署之后被替换或改动过。",
    ),
    "GRANT_TERMS_MISMATCH": RuleText(
        "链上授权条款与文书不符",
        "链上登记的授权条款（使用方、数据项、用途、期限、次数等）与本人签署的文书不一致，"
        "可能超出了本人同意的范围。",
    ),
    "GRANT_CONSUMER_SIGNATURE_INVALID": RuleText(
        "申请机构的签名无效",
        "这份授权申请上的机构签名无法用该机构登记的密钥验证，不能证明申请出自该机构。",
    ),
    "GRANT_OWNER_NOT_ATTESTED": RuleText(
        "批准时本人密钥未经有效实名核验",
        "批准这项授权时，数据主体的密钥没有有效的实名核验（未核验、已撤销或与文书所写不符），"
        "不能证明是本人同意。",
    ),
    "GRANT_OWNER_SIGNATURE_INVALID": RuleText(
        "本人同意签名无效",
        "这项授权的“本人同意”签名无法用本人经核验的密钥验证：不能证明数据主体本人同意过。",
    ),
    "GRANT_ACTION_MALFORMED": RuleText(
        "本人操作文书不合规",
        "一次拒绝、暂停、恢复或撤销授权的操作文书格式不合规，或所写的操作、授权与链上记录不符。",
    ),
    "GRANT_ACTION_SIGNATURE_INVALID": RuleText(
        "本人操作签名无效",
        "一次拒绝、暂停、恢复或撤销授权的操作不是用本人密钥签署的：这次操作可能不是本人做出的。",
    ),
    # ---------------------------------------------------------------------- owners
    "ATTESTATION_INVALID": RuleText(
        "实名核验记录无效",
        "身份认证机构为数据主体登记密钥的核验记录内容不全、签名无效，或该机构当时并无身份认证资格。",
    ),
    "OWNER_KEY_REBOUND": RuleText(
        "本人密钥被更换",
        "数据主体已登记的密钥被换成了新密钥；这可以是正常的（如换了手机），"
        "但如本人否认，应按所列时间和经办机构核查。",
    ),
    # -------------------------------------------------------------------- receipts
    "RECEIPT_MALFORMED": RuleText(
        "回执格式不合规",
        "网关日志中的这条记录不是规范的、已签名的回执，不能证明这次数据访问的内容。",
    ),
    "RECEIPT_PROVIDER_MISMATCH": RuleText(
        "回执与保存它的日志不属同一机构",
        "回执上写的数据提供方与保存它的网关日志不是同一家机构。",
    ),
    "RECEIPT_SIGNATURE_INVALID": RuleText(
        "回执在网关签发后被改动",
        "这张回执在网关签发之后被改动过（或根本不是该网关所签）：现在的内容与网关签名时的内容不一致。",
    ),
    "RECEIPT_PROVIDER_NOT_ACTIVE": RuleText(
        "提供方当时无资格提供数据",
        "提供这次数据时，该机构不是联盟中在册、可以提供数据的成员（已暂停或已移除）。",
    ),
    "RECEIPT_NOT_RESOURCE_PROVIDER": RuleText(
        "提供方不是该数据项的登记提供方",
        "数据目录登记的这项数据的提供方是另一家机构，回执上的机构无权提供。",
    ),
    "RECEIPT_UNKNOWN_GRANT": RuleText(
        "回执依据的授权不存在",
        "这次数据访问声称依据的授权从未在链上申请过：没有任何本人授权。",
    ),
    "RECEIPT_GRANT_NOT_ACTIVE": RuleText(
        "提供数据时授权不在有效期内",
        "提供数据时这项授权并未生效（已撤销、已暂停、已过期、次数已用完、被拒绝、尚未批准或尚未开始）。",
    ),
    "RECEIPT_GRANT_NOT_ACTIVE_AT_VIEW": RuleText(
        "网关已知授权失效仍提供数据",
        "网关在回执上签名确认它已读到的链上区块里，这项授权已经失效（已撤销、已暂停、已过期、"
        "次数已用完、被拒绝或尚未批准），它仍然提供了数据：这不是时钟误差，是确定的违规。",
    ),
    "RECEIPT_VIEW_AHEAD": RuleText(
        "回执声称读到了尚未产生的区块",
        "回执上写的网关已读区块，在提供数据的时间还没有产生（超出时钟容差）：回执的区块或时间是假的。",
    ),
    "RECEIPT_VIEW_STALE": RuleText(
        "网关依据过时的链上信息提供数据",
        "网关提供数据时，所依据的链上信息落后于链上已发生的变化超过允许的时限，"
        "可能错过了本人撤销、暂停等操作，或故意声称读到的是旧区块。",
    ),
    "RECEIPT_UNDER_INVALID_GRANT": RuleText(
        "依据的授权本身未通过审计",
        "这次访问所依据的授权在审计中未通过（例如本人签名无效），因此这次访问也没有有效的本人同意。",
    ),
    "RECEIPT_CONSUMER_NOT_GRANTEE": RuleText(
        "拿到数据的不是被授权机构",
        "拿到数据的机构不是数据主体授权的那家机构。",
    ),
    "RECEIPT_RESOURCE_NOT_GRANTED": RuleText(
        "提供了未授权的数据项",
        "提供的数据项不在本人授权的范围之内。",
    ),
    "RECEIPT_PURPOSE_NOT_GRANTED": RuleText(
        "用途超出授权",
        "这次访问申报的用途不在本人授权的用途之内。",
    ),
    "RECEIPT_TIER_MISMATCH": RuleText(
        "授权层级标注不符",
        "回执标注的授权层级（依场景、分领域、综合）与链上这项授权的实际层级不一致。",
    ),
    "RECEIPT_MODE_MISMATCH": RuleText(
        "数据形式标注不符",
        "回执标注的数据形式（原始数据或加工指标）与链上这项授权约定的形式不一致。",
    ),
    "RECEIPT_BEYOND_MAX_USES": RuleText(
        "超出授权次数",
        "这项数据在这项授权下被使用的次数超过了本人同意的上限。",
    ),
    "RECEIPT_TIME_REGRESSION": RuleText(
        "回执时间倒流",
        "这张回执的时间早于日志中排在它前面的回执，可能是事后倒签时间，以落入授权的有效期内。",
    ),
    "RECEIPT_SERVED_AFTER_ANCHOR": RuleText(
        "回执时间晚于其上链存证",
        "回执写的提供时间晚于包含它的批次上链存证的时间，这不可能发生：时间被篡改了。",
    ),
    "RECEIPT_FROM_THE_FUTURE": RuleText(
        "回执时间在审计之后",
        "回执写的时间晚于审计取证的时间：时间被篡改，或网关时钟有误。",
    ),
    "RECEIPT_DUPLICATE_ID": RuleText(
        "回执编号重复",
        "同一个回执编号出现了不止一次：有回执被复制或冒用。",
    ),
    "RECEIPT_DUPLICATE_REQUEST": RuleText(
        "同一次请求被答复两次",
        "同一次数据请求出现了两张编号不同的回执：一次请求被重复提供，或被重复计数。",
    ),
    "RECEIPT_OWNER_NOT_ATTESTED": RuleText(
        "提供数据时本人实名核验已失效",
        "提供数据时，数据主体的实名核验已被撤销或已换成别的密钥，网关本应拒绝。",
    ),
    "RECEIPT_OWNER_NOT_ATTESTED_AT_VIEW": RuleText(
        "网关已知本人实名核验失效仍提供数据",
        "网关在回执上签名确认它已读到的链上区块里，数据主体的实名核验已被撤销或已换成别的密钥，"
        "它仍然提供了数据：这不是时钟误差，是确定的违规。",
    ),
    # ------------------------------------------------------------ consumer evidence
    "RECEIPT_EQUIVOCATION": RuleText(
        "网关删除或替换了已签发的回执",
        "使用方手中由网关签发的回执，在网关导出的日志中任何位置都找不到：网关事后删除或替换了它。",
    ),
    "EVIDENCE_SIGNATURE_INVALID": RuleText(
        "使用方证据的签名无效",
        "这份回执证据包上的签名无法用该使用方登记的密钥验证，不能证明是该机构提交的。",
    ),
    "EVIDENCE_RECEIPT_INVALID": RuleText(
        "使用方证据中有无效回执",
        "使用方证据中的这张回执签名不符或不属于该机构，不能作为证据，已被剔除（不影响审计结论）。",
    ),
    "EVIDENCE_LOG_NOT_AUDITED": RuleText(
        "证据涉及的网关日志未纳入审计",
        "使用方证据涉及的这家提供方的网关日志不在本次审计范围内，无法交叉核对。",
    ),
    # ---------------------------------------------------------------------- batches
    "LOG_GAP": RuleText(
        "回执日志有记录缺失",
        "网关的回执日志中缺了若干条记录：有数据访问的记录被删除或截断。",
    ),
    "LOG_DUPLICATE_INDEX": RuleText(
        "回执日志同一序号有两条记录",
        "日志中两条记录占用了同一个序号：有记录被插入。",
    ),
    "LOG_OUT_OF_ORDER": RuleText(
        "回执日志顺序被打乱",
        "日志中的回执没有按序号排列：记录被重新排过序。",
    ),
    "LOG_MISSING": RuleText(
        "缺少一家提供方的回执日志",
        "这家提供方在链上存证过回执批次，却没有交出回执日志：它的数据访问无法审计。",
    ),
    "RECEIPT_UNANCHORED_STALE": RuleText(
        "回执长时间未上链存证",
        "这些回执超过规定时间仍未打包存证到链上：网关可能在拖延或隐瞒。",
    ),
    "BATCH_CHAIN_BROKEN": RuleText(
        "存证批次前后不衔接",
        "网关上链存证的批次序号或前后衔接不连续：有批次被跳过、重复或改写。",
    ),
    "BATCH_SIGNATURE_INVALID": RuleText(
        "存证批次的签名无效",
        "这个存证批次的签名无法用提供方的密钥验证。",
    ),
    "BATCH_ROOT_MISMATCH": RuleText(
        "日志与链上存证不一致",
        "用日志中的回执重新算出的批次指纹（默克尔根）与链上存证的不一致：日志在存证之后被改动过。",
    ),
    "GATEWAY_BATCH_MISMATCH": RuleText(
        "网关的批次记录与链上不符",
        "网关自己报告的批次记录与链上的存证不一致。",
    ),
    "GATEWAY_BATCH_NOT_ANCHORED": RuleText(
        "网关声称已存证，链上却没有",
        "网关报告已经上链存证的批次，在链上找不到。",
    ),
    # ------------------------------------------------------------------------- uses
    "USES_RECORDED_WITHOUT_RECEIPTS": RuleText(
        "链上使用次数没有回执支撑",
        "提供方在链上记录的使用次数多于日志中已存证的回执：有访问记录缺失，或次数被虚报。",
    ),
    "USES_NOT_RECORDED": RuleText(
        "回执未计入链上使用次数",
        "已存证的回执没有全部计入链上的使用次数，通常因为本人在答复与存证之间撤销了授权（不影响审计结论）。",
    ),
    # ------------------------------------------------------------------- membership
    "WRITE_BY_INACTIVE_MEMBER": RuleText(
        "无资格的机构写入了链上",
        "这次链上操作由当时不在册、或没有相应角色的机构发起。",
    ),
    "WRITE_SENDER_MISMATCH": RuleText(
        "链上操作来自错误的账户",
        "这次链上操作不是从该机构当时登记的账户发出的。",
    ),
}


def rule_text(code: str) -> RuleText:
    """The text of rule ``code`` (a code no rule has, as from a newer report, names itself)."""
    return RULE_TEXTS.get(code) or RuleText(code, f"规则 {code} 发现了问题。")


#: Rule area → its title.
AREA_TITLES: dict[str, str] = {
    "deployment": "合约部署",
    "grants": "授权",
    "owners": "数据主体",
    "receipts": "回执",
    "evidence": "使用方留存的证据",
    "batches": "日志与上链存证",
    "uses": "使用次数",
    "membership": "联盟成员",
}

#: Severity → its label.
SEVERITY_TITLES: dict[str, str] = {"fail": "未通过", "warn": "警告"}

#: ``GrantStatus`` name → its label.
GRANT_STATUS_TITLES: dict[str, str] = {
    "NONE": "未知",
    "PENDING": "待本人同意",
    "ACTIVE": "生效中",
    "PAUSED": "已暂停",
    "REVOKED": "已撤销",
    "EXPIRED": "已过期",
    "EXHAUSTED": "次数已用完",
    "REJECTED": "本人已拒绝",
}

#: ``Role`` name → its label.
ROLE_TITLES: dict[str, str] = {
    "NONE": "无",
    "COMMITTEE": "管理委员会",
    "PROVIDER": "数据提供方",
    "CONSUMER": "数据使用方",
    "AUDITOR": "审计方",
}

#: ``InstitutionStatus`` name → its label.
MEMBER_STATUS_TITLES: dict[str, str] = {
    "NONE": "未知",
    "ACTIVE": "在册",
    "SUSPENDED": "已暂停",
    "REMOVED": "已移除",
}
