"""The portal's stores on their own (no chain): enrollment codes, the failure limiter, sessions'
challenges, and a sessions table of an older layout. Time is a settable clock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from quancheng_portal.core.enrollment import (
    CODE_ALPHABET,
    EnrollmentCodes,
    format_code,
    normalize_code,
)
from quancheng_portal.core.errors import (
    EnrollmentCodeExpired,
    EnrollmentCodeInvalid,
    EnrollmentCodeUsed,
    TooManyAttempts,
)
from quancheng_portal.core.ratelimit import FailureLimiter
from quancheng_portal.core.sessions import SessionStore
from quancheng_portal.db import make_engine

PSEUDONYM = bytes(range(32))


class Clock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'portal.db'}")


def test_codes_are_typed_forgivingly_and_nothing_else_is_one() -> None:
    assert normalize_code(" abcd-efgh jkmn-pqrs ") == "ABCDEFGHJKMNPQRS"
    assert normalize_code("OOOO-IIII-LLLL-0000") == "0000111111110000"
    assert normalize_code("ABCD-EFGH-JKMN-PQRU") is None  # U is not in the alphabet
    assert normalize_code("ABCD-EFGH-JKMN-PQR") is None
    assert normalize_code("ＡＢＣＤ－efgh　JKMN-PQRS") == "ABCDEFGHJKMNPQRS"  # an IME's full width
    assert format_code("0123456789ABCDEF") == "0123-4567-89AB-CDEF"
    assert len(CODE_ALPHABET) == 32 and len(set(CODE_ALPHABET)) == 32


def test_a_code_is_spent_once_and_only_before_it_expires(engine: Engine) -> None:
    clock = Clock()
    codes = EnrollmentCodes(engine, b"k" * 32, 900, clock)
    issued = codes.issue(PSEUDONYM)
    assert issued.expires_at == int(clock.now) + 900 and len(issued.code) == 16
    row = codes.check(issued.display.lower())
    assert row.pseudonym == "0x" + PSEUDONYM.hex() and row.code_digest != issued.code
    codes.claim(row.code_digest, "0x04aa")
    with pytest.raises(EnrollmentCodeUsed):
        codes.claim(row.code_digest, "0x04bb")
    with pytest.raises(EnrollmentCodeUsed):
        codes.check(issued.code)
    codes.release(row.code_digest)  # the chain refused: usable again
    codes.claim(row.code_digest, "0x04bb")

    late = codes.issue(PSEUDONYM)
    clock.now += 900
    with pytest.raises(EnrollmentCodeExpired):
        codes.check(late.code)
    with pytest.raises(EnrollmentCodeExpired):
        codes.claim(codes.digest(late.code), "0x04cc")
    with pytest.raises(EnrollmentCodeInvalid):
        codes.check("0000-0000-0000-0000")
    other_key = EnrollmentCodes(engine, b"j" * 32, 900, clock)
    with pytest.raises(EnrollmentCodeInvalid):  # the digest is keyed
        other_key.check(issued.code)


def test_the_limiter_counts_failures_per_bucket_within_its_window(engine: Engine) -> None:
    clock = Clock()
    limiter = FailureLimiter(engine, max_failures=3, window=900, clock=clock)
    for step in range(3):
        limiter.check(["address:a"])
        limiter.record(["address:a", "session:s"])
        clock.now += 100 * (step + 1)  # failures at t, t+100, t+300; now t+600
    with pytest.raises(TooManyAttempts) as refused:
        limiter.check(["session:other", "address:a"])
    assert refused.value.details == {"retry_after_s": 300}  # when the first leaves the window
    limiter.check(["address:b"])
    clock.now += 300
    limiter.check(["address:a"])
    assert limiter.failures("address:a") == 2


def test_a_challenge_is_spent_once(engine: Engine) -> None:
    clock = Clock()
    store = SessionStore(engine, ttl=3600, idle=900, clock=clock)
    _, row = store.create()
    store.set_challenge(row, "0x01", int(clock.now) + 120)
    assert store.take_challenge(row, "0x02") is None
    assert store.take_challenge(row, "0x01") == int(clock.now) + 120
    assert store.take_challenge(row, "0x01") is None


def test_a_sessions_table_of_an_older_layout_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE sessions (token_digest TEXT PRIMARY KEY, csrf_token TEXT, "
            "person_key TEXT, pseudonym TEXT, created_at BIGINT, expires_at BIGINT)"
        )
        conn.execute("INSERT INTO sessions VALUES ('d', 'c', 'p1', '0x00', 1, 2)")
        conn.execute("CREATE TABLE owners (pseudonym TEXT PRIMARY KEY, public_key TEXT, "
                     "attestation TEXT, attestation_signature TEXT, tx_hash TEXT, "
                     "attested_at BIGINT)")  # fmt: skip
        conn.execute("INSERT INTO owners VALUES ('0x01', '0x04', '{}', 'sig', '0x', 1)")
    engine = make_engine(f"sqlite:///{path}")
    columns = {c["name"] for c in inspect(engine).get_columns("sessions")}
    assert {"auth", "last_seen_at", "challenge", "enrollment"} <= columns
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sessions").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM owners").scalar() == 1  # kept
    engine.dispose()
