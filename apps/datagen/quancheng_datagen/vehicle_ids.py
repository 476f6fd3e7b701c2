"""Plates and VINs that are unique by construction.

Vehicle slot ``2*i + k`` (person i's k-th vehicle) is sent by a keyed permutation to a plate
number of the 鲁A plate space; the plate's format decides whether the vehicle is a
new-energy one, so the new-energy share follows the plate space (about 9 %).  The VIN's
plant code and serial number encode the slot, so VINs never repeat either.
"""

from __future__ import annotations

from itertools import combinations

from quancheng_datagen._rng import scramble
from quancheng_datagen.checks import PLATE_LETTERS, VIN_ALPHABET, VIN_YEAR_CODES, vin_check_char

_ORDINARY_FORMATS: list[tuple[tuple[int, ...], int]] = [
    (positions, 24 ** len(positions) * 10 ** (5 - len(positions)))
    for n_letters in range(3)
    for positions in combinations(range(5), n_letters)
]
ORDINARY_PLATES = sum(size for _, size in _ORDINARY_FORMATS)
NEW_ENERGY_PLATES = 2 * 34 * 10**4  # D/F, letter-or-digit, four digits
PLATE_SPACE = ORDINARY_PLATES + NEW_ENERGY_PLATES
#: Each person has two vehicle slots, so the plate space bounds the population that owns cars.
MAX_PEOPLE_WITH_VEHICLES = PLATE_SPACE // 2
_LETTER_OR_DIGIT = "0123456789" + PLATE_LETTERS


def plate_from_index(n: int) -> tuple[str, bool]:
    """The n-th plate of the 鲁A space and whether it is a new-energy plate."""
    if n >= ORDINARY_PLATES:
        n -= ORDINARY_PLATES
        n, digits = divmod(n, 10**4)
        kind, second = divmod(n, 34)
        return f"鲁A{'DF'[kind]}{_LETTER_OR_DIGIT[second]}{digits:04d}", True
    for letter_positions, size in _ORDINARY_FORMATS:
        if n < size:
            return "鲁A" + _ordinary(letter_positions, n), False
        n -= size
    raise IndexError(f"plate index {n} outside the plate space")


def _ordinary(letter_positions: tuple[int, ...], n: int) -> str:
    chars = []
    for pos in range(5):
        if pos in letter_positions:
            n, v = divmod(n, 24)
            chars.append(PLATE_LETTERS[v])
        else:
            n, v = divmod(n, 10)
            chars.append(str(v))
    return "".join(chars)


def make_vin(wmi: str, vds: str, model_year: int, slot: int) -> str:
    """A 17-character VIN with a valid check digit; plant and serial encode ``slot``."""
    w = scramble(slot, 33 * 10**6)
    plant, serial = divmod(w, 10**6)
    year = VIN_YEAR_CODES[(model_year - 1980) % 30]
    draft = f"{wmi}{vds}0{year}{VIN_ALPHABET[plant]}{serial:06d}"
    return draft[:8] + vin_check_char(draft) + draft[9:]
