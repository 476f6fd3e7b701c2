"""Check characters and validators of the identifiers the departments key their data by.

- Resident ID number, GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
- Unified social credit code, GB 32100-2015: the embedded organisation code carries its
  own GB 11714 check character; the 18th character is a MOD 31 check over the alphabet
  ``0123456789ABCDEFGHJKLMNPQRTUWXY`` with weights 3^i mod 31.
- Vehicle identification number, GB 16735 / ISO 3779: position 9 is a MOD 11 check
  over transliterated characters (10 is written ``X``).
- Motor-vehicle plates of Jinan (鲁A), GA 36: five characters with at most two letters, or
  a small new-energy plate ``D``/``F`` + letter-or-digit + four digits; never I or O.
"""

from __future__ import annotations

import re

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_VALUES = {str(d): d for d in range(10)} | dict(
    zip("ABCDEFGH", range(1, 9), strict=True)
) | dict(zip("JKLMN", range(1, 6), strict=True)) | {"P": 7, "R": 9} | dict(
    zip("STUVWXYZ", range(2, 10), strict=True)
)
#: Model-year character (VIN position 10) cycles every 30 years from 1980.
VIN_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"

PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # 24 letters, no I, O
_USCC_INDEX = {c: i for i, c in enumerate(USCC_ALPHABET)}

_ID_RE = re.compile(r"^\d{17}[\dX]$")
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_VIN_RE = re.compile(r"^[0-9A-HJ-NPR-Z]{17}$")
_PLATE_RE = re.compile(r"^鲁A(?:[0-9A-HJ-NP-Z]{5}|[DF][0-9A-HJ-NP-Z]\d{4})$")


def resident_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def is_valid_resident_id(number: str) -> bool:
    """Shape and check character of an 18-digit resident ID (not the division or date)."""
    return bool(_ID_RE.match(number)) and resident_id_check_char(number[:17]) == number[17]


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation-code body."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character (18th) of a unified social credit code."""
    total = sum(_USCC_INDEX[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """Both check characters of a USCC: the organisation code's and the code's own."""
    return (
        bool(_USCC_RE.match(code))
        and org_code_check_char(code[8:16]) == code[16]
        and uscc_check_char(code[:17]) == code[17]
    )


def vin_check_char(vin: str) -> str:
    """Check character (position 9) of a 17-character VIN; position 9 itself is ignored."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def is_valid_vin(vin: str) -> bool:
    """Alphabet (no I, O, Q) and check character of a VIN."""
    return bool(_VIN_RE.match(vin)) and vin_check_char(vin) == vin[8]


def is_valid_jinan_plate(plate: str) -> bool:
    """A 鲁A plate: ordinary (at most two letters) or small new-energy (D/F first)."""
    if not _PLATE_RE.match(plate):
        return False
    if len(plate) == 8:
        return True
    return sum(c.isalpha() for c in plate[2:]) <= 2
