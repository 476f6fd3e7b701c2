"""Refusals of invitations (``/v1/invitations`` for consumers, ``/api/invitations`` for owners).

Same shape and rules as :mod:`quancheng_portal.core.errors`: a stable code, an HTTP status, a
message in Chinese naming what was wrong and what to do; a refusal stores nothing. No refusal
of a consumer's invitation ever depends on whether the invited owner exists or is enrolled.
"""

from __future__ import annotations

from quancheng_portal.core.errors import PortalError, TooManyAttempts

__all__ = [
    "AcceptanceMismatch",
    "ChannelMismatch",
    "ChannelRequired",
    "ConsumerNotActive",
    "ConsumerUnknown",
    "IdNumberInvalid",
    "InvitationClockSkew",
    "InvitationExpired",
    "InvitationMalformed",
    "InvitationNotFound",
    "InvitationNotPending",
    "InvitationReplayed",
    "InvitationScopeInvalid",
    "InvitationSignatureInvalid",
    "ReaderTokenInvalid",
    "SubjectOpeningInvalid",
    "TooManyInvitations",
]

_NOTHING_STORED = "邀请未被接收。"


class InvitationMalformed(PortalError):
    code, status = "INVITATION_MALFORMED", 422
    template = (
        "邀请格式不正确：{reason}。请按 quancheng.invitation/1 重新生成并签名。" + _NOTHING_STORED
    )


class ChannelRequired(PortalError):
    code, status = "CHANNEL_REQUIRED", 401
    template = (
        "本门户只接收绑定到 TLS 客户端证书的请求：请用本机构的联盟证书建立双向 TLS 连接，"
        "并在签名的文件中写明该证书的 channel。"
    )


class ChannelMismatch(PortalError):
    code, status = "CHANNEL_MISMATCH", 403
    template = "签名文件中的 channel 与本连接的客户端证书不符：请在自己的连接上发送自己签名的文件。"


class InvitationClockSkew(PortalError):
    code, status = "INVITATION_CLOCK_SKEW", 400
    template = (
        "签发时间与门户时间相差超过 {max_skew_s} 秒：请校准时钟后重新签发。" + _NOTHING_STORED
    )


class ConsumerUnknown(PortalError):
    code, status = "CONSUMER_UNKNOWN", 401
    template = "联盟登记中没有机构 {consumer}：只有已加入联盟的数据使用方可以发出邀请。"


class InvitationSignatureInvalid(PortalError):
    code, status = "INVITATION_SIGNATURE_INVALID", 401
    template = "签名与 {consumer} 登记在链上的 SM2 公钥不符：请用本机构登记的密钥签名。"


class ConsumerNotActive(PortalError):
    code, status = "CONSUMER_NOT_ACTIVE", 403
    template = (
        "{consumer} 不是状态正常的数据使用方（角色 {role}，状态 {membership}），不能发出邀请；"
        "请联系联盟委员会。"
    )


class IdNumberInvalid(PortalError):
    code, status = "ID_NUMBER_INVALID", 422
    template = "证件号码格式不正确（{reason}）：请核对客户的证件号码。" + _NOTHING_STORED


class SubjectOpeningInvalid(PortalError):
    code, status = "SUBJECT_OPENING_INVALID", 422
    template = (
        "证件号码和盐值与签名文件中的承诺值不符：请用同一个号码和盐值重新生成邀请。"
        + _NOTHING_STORED
    )


class InvitationScopeInvalid(PortalError):
    code, status = "INVITATION_SCOPE_INVALID", 422
    template = "邀请的授权条件与链上数据目录或上限不符：{reason}。" + _NOTHING_STORED


class InvitationReplayed(PortalError):
    code, status = "INVITATION_REPLAYED", 409
    template = "编号 {invitation_id} 的邀请已经收到过：每份邀请只接收一次，新邀请请使用新的编号。"


class TooManyInvitations(TooManyAttempts):
    code = "TOO_MANY_INVITATIONS"
    template = "{consumer} 一小时内发出的邀请已达上限 {limit} 份：请 {retry_after_s} 秒后再试。"


class ReaderTokenInvalid(PortalError):
    code, status = "READER_TOKEN_INVALID", 401
    template = (
        "查询凭证无效（{reason}）：请用 QC-Reader-Token 为这一次 GET 签名"
        "（audience 为本门户的机构编码），并通过自己的双向 TLS 连接发送。"
    )


class InvitationNotFound(PortalError):
    code, status, template = "INVITATION_NOT_FOUND", 404, "没有这份邀请。"


class InvitationNotPending(PortalError):
    code, status = "INVITATION_NOT_PENDING", 409
    template = "这份邀请已经处理过（{status_label}），不能再接受或拒绝。"


class InvitationExpired(PortalError):
    code, status = "INVITATION_EXPIRED", 410
    template = "这份邀请已经过期，不能再接受；如仍需要，机构可以重新发出邀请。"


class AcceptanceMismatch(PortalError):
    code, status = "ACCEPTANCE_MISMATCH", 400
    template = "签署的接受文件与这份邀请不符（{field}）：请刷新页面后重新操作。"
