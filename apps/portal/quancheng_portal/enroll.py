"""``python -m quancheng_portal.enroll``: the identity authority issues one-time enrollment codes.

    python -m quancheng_portal.enroll issue --name 张三 --resident-id 370102198503127627
    python -m quancheng_portal.enroll issue --uscc 91370102MA3C4L7Q2H \
        --name 李建国 --resident-id 370103197809213511    # for an enterprise

For an enterprise (``--uscc``), ``--name`` and ``--resident-id`` are its legal
representative's, who passed the real-name check; the code is issued only if the authority's
registration data (``QC_PORTAL_ENTERPRISES_FILE``; in development the demo enterprises) names
that person as the enterprise's legal representative, and it binds the enterprise's key.

Run by the authority's staff once its real-name check has passed (at a service counter, or by
the government app's back end), with the portal's own settings (``QC_PORTAL_*``: its database
and the pseudonym key). It prints the code and its expiry, to be handed to that person only.
The portal stores the code's keyed digest beside the pseudonym; the name and the ID number are
neither stored nor logged. Issuing a new code voids the person's unspent ones.

Exit status: 0 issued, 2 bad input or settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from quancheng.crypto import InvalidParameter, normalize_identifier, pseudonym
from quancheng.errors import QuanchengError
from quancheng_portal.core.config import PortalSettings
from quancheng_portal.core.enrollment import EnrollmentCodes
from quancheng_portal.core.enterprises import DemoEnterprise, load_enterprises, normalize_uscc
from quancheng_portal.core.people import mask_resident_id, valid_resident_id
from quancheng_portal.db import make_engine
from quancheng_portal.services.labels import cst_text

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m quancheng_portal.enroll",
        description="数字保险箱开通码：身份认证机构在实名核验通过后签发（一次有效）。",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    issue = commands.add_parser("issue", help="为通过实名核验的居民签发开通码")
    issue.add_argument("--name", required=True,
                       help="姓名（企业：法定代表人姓名；只用于核对，不保存）")  # fmt: skip
    issue.add_argument("--resident-id", required=True,
                       help="居民身份证号（企业：法定代表人的；18 位，不保存）")  # fmt: skip
    issue.add_argument("--uscc", default=None,
                       help="为企业签发：统一社会信用代码（核对登记的法定代表人）")  # fmt: skip
    issue.add_argument("--ttl-minutes", type=int, default=None,
                       help="有效期（分钟，默认 QC_PORTAL_ENROLLMENT_CODE_TTL_S）")  # fmt: skip
    issue.add_argument("--json", action="store_true", help="输出 JSON（供政务 App 后台调用）")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Issue a code; the exit status."""
    args = _parser().parse_args(argv)
    try:
        resident_id = normalize_identifier(args.resident_id)
    except InvalidParameter:
        resident_id = ""
    if not valid_resident_id(resident_id):
        print("身份证号格式或校验位不正确，未签发开通码。", file=sys.stderr)
        return 2
    ttl = None if args.ttl_minutes is None else args.ttl_minutes * 60
    if ttl is not None and not 60 <= ttl <= 86400:
        print("有效期须在 1 到 1440 分钟之间。", file=sys.stderr)
        return 2
    try:
        settings = PortalSettings()
        _, pseudonym_key = settings.load_authority()
    except (ValidationError, QuanchengError) as exc:
        print(f"门户配置有误，未签发开通码：{exc}", file=sys.stderr)
        return 2
    subject: tuple[str, str] = ("resident_id", resident_id)
    whom = f"{args.name}（{mask_resident_id(resident_id)}）"
    if args.uscc is not None:
        checked = _check_legal_rep(settings, args.uscc, args.name, resident_id)
        if isinstance(checked, int):
            return checked
        subject = ("uscc", checked.uscc)
        whom = (
            f"企业 {checked.name}（统一社会信用代码 {checked.uscc}），"
            f"已核对法定代表人 {args.name}（{mask_resident_id(resident_id)}）"
        )
    engine = make_engine(settings.database_url)
    try:
        codes = EnrollmentCodes(engine, pseudonym_key, settings.enrollment_code_ttl_s)
        issued = codes.issue(pseudonym(pseudonym_key, *subject), ttl=ttl)
    finally:
        engine.dispose()
    if args.json:
        out = {"code": issued.display, "expires_at": issued.expires_at}
        if args.uscc is not None:
            out["uscc"] = subject[1]
        print(json.dumps(out))
    else:
        print(f"为 {whom} 签发的开通码：")
        print(f"    {issued.display}")
        print(f"有效至 {cst_text(issued.expires_at)}（北京时间），只能使用一次。")
        print("请只交给本人，请本人在数字保险箱“输入开通码”页面输入。")
    return 0


def _check_legal_rep(
    settings: PortalSettings, uscc_text: str, name: str, resident_id: str
) -> DemoEnterprise | int:
    """The registered enterprise whose legal representative is this person, or the exit status
    (2) after saying why not."""
    uscc = normalize_uscc(uscc_text)
    if uscc is None:
        print("统一社会信用代码格式或校验位不正确，未签发开通码。", file=sys.stderr)
        return 2
    try:
        registry = load_enterprises(settings.enterprises_file, builtin=settings.demo_identities)
    except QuanchengError as exc:
        print(f"企业登记数据读取失败，未签发开通码：{exc}", file=sys.stderr)
        return 2
    if not registry:
        print("没有企业登记数据：请设置 QC_PORTAL_ENTERPRISES_FILE（市场监管登记信息）。"
              "未签发开通码。", file=sys.stderr)  # fmt: skip
        return 2
    found = next((e for e in registry if e.uscc == uscc), None)
    if found is None:
        print(f"企业登记数据中没有统一社会信用代码 {uscc}，未签发开通码。", file=sys.stderr)
        return 2
    if found.legal_rep_id != resident_id or found.legal_rep != name:
        print(f"{name}（{mask_resident_id(resident_id)}）不是登记的 {found.name} 法定代表人，"
              "未签发开通码。请由登记的法定代表人本人办理。", file=sys.stderr)  # fmt: skip
        return 2
    return found


if __name__ == "__main__":
    sys.exit(main())
