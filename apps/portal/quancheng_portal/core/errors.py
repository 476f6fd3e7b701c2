"""Every refusal of the portal: a stable code, an HTTP status and a message in plain Chinese.

The JSON API answers a refusal as ``{"error": {"code", "message", "details"}}`` (the shape the
gateways use) and changes nothing: a refused decision is never sent to the chain. Codes are
part of the portal's API: never renumber or reuse one.
"""

from __future__ import annotations

from typing import Any

from quancheng.errors import QuanchengError

__all__ = [
    "ActionDocumentInvalid",
    "ActionMismatch",
    "ActionNotCanonical",
    "ChainRefused",
    "ChainUnavailable",
    "CsrfRejected",
    "DemoSignInDisabled",
    "EnrollmentCodeExpired",
    "EnrollmentCodeInvalid",
    "EnrollmentCodeUsed",
    "EnrollmentRequired",
    "GrantDocumentMismatch",
    "GrantNotActive",
    "GrantNotFound",
    "GrantNotPaused",
    "GrantNotPending",
    "GrantNotRevocable",
    "GrantRequestInvalid",
    "GrantValidityEnded",
    "KeyBoundElsewhere",
    "KeyMismatch",
    "KeyProofInvalid",
    "MalformedInput",
    "NotSignedIn",
    "NotYourGrant",
    "OwnerKeyMissing",
    "OwnerKeyNotInDocument",
    "OwnerSignatureInvalid",
    "PortalError",
    "SignInChallengeExpired",
    "SignInChallengeInvalid",
    "SignInKeyNotBound",
    "SignInOriginMismatch",
    "SignInSignatureInvalid",
    "SignInWrongOwner",
    "StaleAction",
    "TooManyAttempts",
    "UnknownPerson",
    "UsccInvalid",
]

_NOTHING_CHANGED = "链上未做任何更改。"


class PortalError(QuanchengError):
    """Base of the portal's refusals; ``template`` is formatted with the details."""

    code = "PORTAL_ERROR"
    status = 400
    template = "操作未能完成。"

    def __init__(self, **details: Any) -> None:
        self.details = details
        super().__init__(self.template.format(**details))

    def to_body(self) -> dict[str, Any]:
        """The JSON body of this refusal."""
        return {"error": {"code": self.code, "message": str(self), "details": self.details}}


class NotSignedIn(PortalError):
    code, status, template = "NOT_SIGNED_IN", 401, "请先登录。"


class CsrfRejected(PortalError):
    code, status = "CSRF_REJECTED", 403
    template = "请求来源校验失败，请刷新页面后重试。"


class MalformedInput(PortalError):
    code, status, template = "MALFORMED_INPUT", 400, "请求内容不正确：{reason}"


class UnknownPerson(PortalError):
    code, status, template = "UNKNOWN_PERSON", 404, "没有这位用户，请从列表中选择。"


class DemoSignInDisabled(PortalError):
    code, status = "DEMO_SIGN_IN_DISABLED", 403
    template = "本门户不提供演示登录：请用本机保存的密钥登录，或输入大数据局发放的开通码。"


class SignInChallengeInvalid(PortalError):
    code, status = "SIGN_IN_CHALLENGE_INVALID", 401
    template = "登录校验码无效或已经用过，请重新点击登录。"


class SignInChallengeExpired(PortalError):
    code, status = "SIGN_IN_CHALLENGE_EXPIRED", 401
    template = "登录校验码已过期，请重新点击登录。"


class SignInOriginMismatch(PortalError):
    code, status = "SIGN_IN_ORIGIN_MISMATCH", 401
    template = "签名的登录文件不是为本网站生成的，未登录。"


class SignInSignatureInvalid(PortalError):
    code, status = "SIGN_IN_SIGNATURE_INVALID", 401
    template = "登录签名验证失败，未登录。"


class SignInKeyNotBound(PortalError):
    code, status = "SIGN_IN_KEY_NOT_BOUND", 401
    template = (
        "这把密钥没有登记在链上，或已被更换、撤销，不能用它登录。"
        "如果密钥丢失，请到大数据局办理实名核验，领取开通码后重新登记。"
    )


class SignInWrongOwner(PortalError):
    code, status = "SIGN_IN_WRONG_OWNER", 401
    template = (
        "这把密钥登记给的是{registered}，不是您选择的{chosen}，不能以{chosen}的身份登录。"
        "请在登录页选择正确的身份（个人，或企业并填写其统一社会信用代码）后再试。"
    )


class UsccInvalid(PortalError):
    code, status = "USCC_INVALID", 400
    template = (
        "统一社会信用代码不正确（应为 18 位，末位为 GB 32100 校验码），请核对营业执照后重新填写。"
    )


class EnrollmentRequired(PortalError):
    code, status = "ENROLLMENT_REQUIRED", 403
    template = (
        "登记或更换签名密钥需要大数据局在实名核验后发放的开通码，请先在“开通码”页面输入。"
        "未登记任何密钥。"
    )


class EnrollmentCodeInvalid(PortalError):
    code, status = "ENROLLMENT_CODE_INVALID", 401
    template = "开通码不正确，请核对后重新输入。"


class EnrollmentCodeExpired(PortalError):
    code, status = "ENROLLMENT_CODE_EXPIRED", 410
    template = "开通码已过期，请重新到大数据局申请。"


class EnrollmentCodeUsed(PortalError):
    code, status = "ENROLLMENT_CODE_USED", 409
    template = "这个开通码已经用过，不能再用。如需再次登记密钥，请重新申请开通码。"


class TooManyAttempts(PortalError):
    code, status = "TOO_MANY_ATTEMPTS", 429
    template = "失败次数过多，请 {retry_after_s} 秒后再试。"


class KeyProofInvalid(PortalError):
    code, status = "KEY_PROOF_INVALID", 400
    template = "密钥持有证明的签名无效，未登记任何密钥。"


class KeyBoundElsewhere(PortalError):
    code, status = "KEY_BOUND_ELSEWHERE", 409
    template = "这把密钥已登记在别人名下，请在本设备生成一把新密钥。"


class KeyMismatch(PortalError):
    code, status = "KEY_MISMATCH", 409
    template = (
        "您已有一把登记在链上的密钥，与本浏览器中的不同。请导入您的密钥备份；"
        "若备份已丢失，可以选择在本设备启用新密钥（旧密钥签署的待处理请求将无法再同意）。"
    )


class OwnerKeyMissing(PortalError):
    code, status = "OWNER_KEY_MISSING", 409
    template = "您还没有登记签名密钥，或登记已被撤销。请先在“我的密钥”页面设置。"


class GrantNotFound(PortalError):
    code, status, template = "GRANT_NOT_FOUND", 404, "找不到这项授权。"


class NotYourGrant(PortalError):
    code, status = "NOT_YOUR_GRANT", 403
    template = "这项授权不属于您，不能处理。" + _NOTHING_CHANGED


class GrantRequestInvalid(PortalError):
    code, status = "GRANT_REQUEST_INVALID", 409
    template = (
        "这项请求与数据目录或授权条件的上限不符，不能同意，只能拒绝：{reason}。" + _NOTHING_CHANGED
    )


class GrantNotPending(PortalError):
    code, status = "GRANT_NOT_PENDING", 409
    template = (
        "这项请求已经处理过（当前状态：{status_label}），不能再同意或拒绝。" + _NOTHING_CHANGED
    )


class GrantNotActive(PortalError):
    code, status = "GRANT_NOT_ACTIVE", 409
    template = "只有生效中的授权可以暂停（当前状态：{status_label}）。" + _NOTHING_CHANGED


class GrantNotPaused(PortalError):
    code, status = "GRANT_NOT_PAUSED", 409
    template = "只有已暂停的授权可以恢复（当前状态：{status_label}）。" + _NOTHING_CHANGED


class GrantNotRevocable(PortalError):
    code, status = "GRANT_NOT_REVOCABLE", 409
    template = "这项授权已经结束（当前状态：{status_label}），无需撤销。" + _NOTHING_CHANGED


class GrantValidityEnded(PortalError):
    code, status = "GRANT_VALIDITY_ENDED", 409
    template = "这项请求的有效期已过，不能再同意。" + _NOTHING_CHANGED


class OwnerKeyNotInDocument(PortalError):
    code, status = "OWNER_KEY_MISMATCH", 409
    template = (
        "这项请求是发给您另一把密钥的，当前登记的密钥不能同意它；请让机构重新发起请求。"
        + _NOTHING_CHANGED
    )


class ActionNotCanonical(PortalError):
    code, status = "ACTION_NOT_CANONICAL", 400
    template = "操作文件不是规范格式（RFC 8785 规范 JSON）。" + _NOTHING_CHANGED


class ActionDocumentInvalid(PortalError):
    code, status = "ACTION_DOCUMENT_INVALID", 400
    template = "操作文件格式不正确：{reason}。" + _NOTHING_CHANGED


class ActionMismatch(PortalError):
    code, status = "ACTION_MISMATCH", 400
    template = "操作文件与本次请求不符（{field}）。" + _NOTHING_CHANGED


class GrantDocumentMismatch(PortalError):
    code, status = "GRANT_DOCUMENT_MISMATCH", 409
    template = "签署的内容与链上记录的授权文件不一致（{field}）。" + _NOTHING_CHANGED


class StaleAction(PortalError):
    code, status = "STALE_ACTION", 400
    template = "签名时间与服务器时间相差过大，请检查电脑时间后重新操作。" + _NOTHING_CHANGED


class OwnerSignatureInvalid(PortalError):
    code, status = "OWNER_SIGNATURE_INVALID", 400
    template = "签名验证失败：签名与您登记在链上的密钥不符。" + _NOTHING_CHANGED


class ChainRefused(PortalError):
    code, status = "CHAIN_REFUSED", 409
    template = "区块链拒绝了这次操作（{error_name}）。" + _NOTHING_CHANGED


class ChainUnavailable(PortalError):
    code, status = "CHAIN_UNAVAILABLE", 503
    template = "暂时无法连接区块链，请稍后再试。" + _NOTHING_CHANGED
