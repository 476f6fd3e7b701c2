"""The request verifier: SM2 signatures checked on a thread of its own, off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from quancheng.crypto import SM2PrivateKey
from quancheng_gateway.verifying import SignatureVerifier

KEY = SM2PrivateKey.generate()
OTHER = SM2PrivateKey.generate()


@pytest.fixture
def verifier() -> Iterator[SignatureVerifier]:
    v = SignatureVerifier()
    v.start()
    yield v
    v.stop()


def test_valid_invalid_and_malformed_signatures(verifier: SignatureVerifier) -> None:
    data = "请求 request".encode()
    good = bytes(KEY.sign(data))

    async def main() -> list[bool]:
        pub = KEY.public_key()
        return list(
            await asyncio.gather(
                verifier.verify(pub, good, data),
                verifier.verify(pub, good, data + b"!"),  # another message
                verifier.verify(OTHER.public_key(), good, data),  # another key
                verifier.verify(pub, good[:-1], data),  # truncated DER
                verifier.verify(pub, b"", data),
                verifier.verify(pub, good + b"\x00", data),  # trailing byte
            )
        )

    assert asyncio.run(main()) == [True, False, False, False, False, False]


def test_many_signatures_each_answered_for_its_own_request(verifier: SignatureVerifier) -> None:
    """Batches must not mix answers up: every second signature is over another message."""
    pub = KEY.public_key()
    messages = [f"q{i}".encode() for i in range(200)]
    signatures = [bytes(KEY.sign(m if i % 2 else m + b"x")) for i, m in enumerate(messages)]

    async def main() -> list[bool]:
        return list(
            await asyncio.gather(
                *(verifier.verify(pub, s, m) for s, m in zip(signatures, messages, strict=True))
            )
        )

    assert asyncio.run(main()) == [bool(i % 2) for i in range(200)]


def test_checked_off_the_event_loop_thread(
    verifier: SignatureVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    pub = KEY.public_key()
    real = type(pub).verify

    def spy(self: object, signature: bytes, data: bytes) -> None:
        seen.append(threading.current_thread().name)
        real(self, signature, data)  # type: ignore[arg-type]

    monkeypatch.setattr(type(pub), "verify", spy)
    data = b"off the loop"
    assert asyncio.run(verifier.verify(pub, bytes(KEY.sign(data)), data))
    assert seen == ["request-verifier"]


def test_without_its_thread_it_checks_in_place() -> None:
    """Before start and after stop nobody waits on a thread that is not there."""
    v = SignatureVerifier()
    data = b"inline"
    sig = bytes(KEY.sign(data))
    pub = KEY.public_key()
    assert asyncio.run(v.verify(pub, sig, data)) is True
    v.start()
    v.stop()
    assert asyncio.run(v.verify(pub, sig, data + b"?")) is False


def test_an_error_reaches_its_request_and_the_thread_goes_on(
    verifier: SignatureVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault inside one check must fail that request, not stop the thread every later
    request waits on."""
    pub = KEY.public_key()
    real = type(pub).verify

    def broken_once(self: object, signature: bytes, data: bytes) -> None:
        if data == b"boom":
            raise RuntimeError("backend fault")
        real(self, signature, data)  # type: ignore[arg-type]

    monkeypatch.setattr(type(pub), "verify", broken_once)

    async def main() -> None:
        with pytest.raises(RuntimeError, match="backend fault"):
            await verifier.verify(pub, b"sig", b"boom")
        data = b"after"
        assert await verifier.verify(pub, bytes(KEY.sign(data)), data) is True

    asyncio.run(main())
