"""``python -m quancheng_portal.enroll``: the identity authority issues one-time enrollment codes.

    python -m quancheng_portal.enroll issue --name 张三 --resident-id 370102198503127627

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
    issue.add_argument("--name", required=True, help="姓名（只用于核对打印，不保存）")
    issue.add_argument("--resident-id", required=True, help="居民身份证号（18 位，不保存）")
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
    engine = make_engine(settings.database_url)
    try:
        codes = EnrollmentCodes(engine, pseudonym_key, settings.enrollment_code_ttl_s)
        issued = codes.issue(pseudonym(pseudonym_key, "resident_id", resident_id), ttl=ttl)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps({"code": issued.display, "expires_at": issued.expires_at}))
    else:
        print(f"为 {args.name}（{mask_resident_id(resident_id)}）签发的开通码：")
        print(f"    {issued.display}")
        print(f"有效至 {cst_text(issued.expires_at)}（北京时间），只能使用一次。")
        print("请只交给本人，请本人在数字保险箱“输入开通码”页面输入。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
