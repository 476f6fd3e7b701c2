"""A member's credentials for reading gateways' receipt logs, receipts, batches and proofs.

Gateways answer their logs only to the members entitled to them (auditors, a consumer for
its own receipts, the identity authority for one owner's at a time). Each request is signed
with the member's SM2 key (:mod:`quancheng.protocol.reader_token`)::

    reader = LogReader.for_institution(auditor)
    url = "https://gw.vmo.example/v1/receipts?from_index=0&limit=1000"
    httpx.get(url, headers=reader.headers(url, audience="jinan.vmo"))

Build the URL with its query first and send exactly that URL: the token signs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from quancheng.crypto import SM2PrivateKey
from quancheng.identity import Institution
from quancheng.protocol.reader_token import READER_HEADER, encode_reader_header, request_target

__all__ = ["LogReader", "with_query"]


def with_query(url: str, params: Mapping[str, object] | None) -> str:
    """``url`` with ``params`` as its query string (the form the token signs)."""
    if not params:
        return url
    return f"{url}?{urlencode({k: str(v) for k, v in params.items()})}"


class LogReader:
    """Signs one reader token per request for a member.

    Args:
        code: The member's consortium code.
        key: Its SM2 key, as registered on chain.
        clock: Wall-clock seconds (injectable for tests).
        channel: The channel of the member's TLS client certificate
            (:attr:`quancheng.tls.TlsConfig.channel`), named in every token.
    """

    __slots__ = ("_clock", "_key", "channel", "code")

    def __init__(
        self,
        code: str,
        key: SM2PrivateKey,
        *,
        clock: Callable[[], float] = time.time,
        channel: str | None = None,
    ) -> None:
        self.code, self._key, self._clock, self.channel = code, key, clock, channel

    @classmethod
    def for_institution(
        cls,
        institution: Institution,
        *,
        clock: Callable[[], float] = time.time,
        channel: str | None = None,
    ) -> LogReader:
        """The reader acting as ``institution`` (over the TLS client key of ``channel``)."""
        return cls(institution.code, institution.sm2_key, clock=clock, channel=channel)

    def headers(self, url: str, *, audience: str) -> dict[str, str]:
        """The header authenticating one GET of ``url`` at the gateway of ``audience``.

        Args:
            url: The full URL, query included, exactly as it will be sent.
            audience: The provider code of the gateway asked.
        """
        value = encode_reader_header(
            self._key,
            member=self.code,
            audience=audience,
            target=request_target(url),
            issued_at_ms=int(self._clock() * 1000),
            # Over plain HTTP (a development gateway on loopback) no certificate is shown.
            channel=self.channel if url.startswith("https://") else None,
        )
        return {READER_HEADER: value}

    def __repr__(self) -> str:
        return f"LogReader({self.code!r})"
