"""One-time enrollment codes: the identity authority's permission to bind (or re-bind) a key.

After its real-name check (at a counter, or in the government app) the authority issues a code
for the person's pseudonym (``python -m quancheng_portal.enroll issue``). The owner types it on
the portal; the session may then bind one key for that pseudonym, and the code is spent in the
same step, atomically, so two sessions racing with one code bind at most one key.

A code is 16 Crockford base32 characters (80 bits from the OS CSPRNG), shown in four groups
(``7KQ2-M9XD-...``); typing ignores case, width, spaces and dashes and reads O as 0 and I, L
as 1. Only its HMAC-SM3 under a key derived from the pseudonym key is stored, with the
pseudonym, expiry and when it was spent. Issuing a new code for a person voids their unspent
ones.
"""

from __future__ import annotations

import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col

from quancheng.crypto import sm3_hmac
from quancheng.protocol.ids import hex32
from quancheng_portal.core.errors import (
    EnrollmentCodeExpired,
    EnrollmentCodeInvalid,
    EnrollmentCodeUsed,
)
from quancheng_portal.models import EnrollmentCode

__all__ = ["CODE_ALPHABET", "EnrollmentCodes", "IssuedCode", "format_code", "normalize_code"]

#: Crockford's base32: digits and capitals without I, L, O, U.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_KEY_LABEL = b"quancheng/portal/enrollment-code/v1"


def normalize_code(text: str) -> str | None:
    """The code as issued, from what the owner typed; None if it cannot be one."""
    folded = unicodedata.normalize("NFKC", text)  # full-width input from Chinese IMEs
    code = "".join(folded.split()).replace("-", "").upper().translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def format_code(code: str) -> str:
    """``XXXX-XXXX-XXXX-XXXX``."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True)
class IssuedCode:
    """A code as handed to the owner (shown once, never stored)."""

    code: str
    pseudonym: str
    expires_at: int

    @property
    def display(self) -> str:
        return format_code(self.code)


@dataclass
class EnrollmentCodes:
    """The enrollment codes in the portal's database.

    Args:
        engine: The portal's database.
        pseudonym_key: The authority's pseudonym key (the digest key is derived from it).
        ttl: Seconds a code may be used after it is issued.
        clock: Wall-clock seconds (injectable for tests).
    """

    engine: Engine
    pseudonym_key: bytes
    ttl: int
    clock: Callable[[], float] = time.time

    def digest(self, code: str) -> str:
        """The stored form of a normalized code."""
        key = sm3_hmac(self.pseudonym_key, _KEY_LABEL)
        return sm3_hmac(bytes(key), code.encode("ascii")).hex()

    def issue(self, pseudonym: bytes, *, ttl: int | None = None) -> IssuedCode:
        """A new code for this pseudonym (its unspent earlier codes are voided)."""
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        now = int(self.clock())
        issued = IssuedCode(code, hex32(pseudonym), now + (ttl or self.ttl))
        with Session(self.engine) as session:
            session.exec(
                delete(EnrollmentCode).where(
                    col(EnrollmentCode.pseudonym) == issued.pseudonym,
                    col(EnrollmentCode.used_at).is_(None),
                )
            )
            row = EnrollmentCode(
                code_digest=self.digest(code), pseudonym=issued.pseudonym, issued_at=now,
                expires_at=issued.expires_at,
            )  # fmt: skip
            session.add(row)
            session.commit()
        return issued

    def check(self, typed: str) -> EnrollmentCode:
        """The unspent, unexpired code the owner typed.

        Raises:
            EnrollmentCodeInvalid, EnrollmentCodeUsed, EnrollmentCodeExpired.
        """
        code = normalize_code(typed)
        if code is None:
            raise EnrollmentCodeInvalid()
        return self._usable(self.digest(code))

    def claim(self, digest: str, owner_key: str) -> None:
        """Spend the code for this key, atomically: of concurrent claims, one succeeds.

        Raises:
            EnrollmentCodeInvalid, EnrollmentCodeUsed, EnrollmentCodeExpired.
        """
        now = int(self.clock())
        with Session(self.engine) as session:
            result = session.exec(
                update(EnrollmentCode)
                .where(
                    col(EnrollmentCode.code_digest) == digest,
                    col(EnrollmentCode.used_at).is_(None),
                    col(EnrollmentCode.expires_at) > now,
                )
                .values(used_at=now, bound_key=owner_key)
            )
            session.commit()
        if result.rowcount != 1:
            self._usable(digest)  # raises the reason
            raise EnrollmentCodeUsed()  # pragma: no cover - spent in between

    def release(self, digest: str) -> None:
        """Give a claimed code back (the chain refused the binding: nothing was bound)."""
        with Session(self.engine) as session:
            session.exec(
                update(EnrollmentCode)
                .where(col(EnrollmentCode.code_digest) == digest)
                .values(used_at=None, bound_key=None)
            )
            session.commit()

    def _usable(self, digest: str) -> EnrollmentCode:
        with Session(self.engine) as session:
            row = session.get(EnrollmentCode, digest)
        if row is None:
            raise EnrollmentCodeInvalid()
        if row.used_at is not None:
            raise EnrollmentCodeUsed()
        if row.expires_at <= int(self.clock()):
            raise EnrollmentCodeExpired()
        return row
