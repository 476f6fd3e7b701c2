"""Reading one owner's receipts from one gateway's log, within bounds.

Each gateway is run by another department, so what one refresh reads of it is bounded
(:class:`HistoryLimits`): pages of bounded size, a bounded number of them, within a deadline,
only at the catalogue's endpoints and never following a redirect
(:mod:`quancheng.http_bounds`). Each read is signed with the identity authority's key (a
reader token) and names the owner; the gateway answers only receipts under their grants.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from quancheng.errors import GatewayError, QuanchengError
from quancheng.http_bounds import EndpointPolicy, ReadBounds, ResponseTooSlow, read_bounded
from quancheng.log_reader import LogReader, with_query
from quancheng.protocol import SignedReceipt
from quancheng.protocol.refusals import refusal_from_body

__all__ = ["PAGE", "UNREADABLE", "HistoryLimits", "OwnerLogPages", "OwnerLogTooLong"]

PAGE = 500
#: What makes a gateway's log unreadable for one refresh (the others are read all the same):
#: a transport failure, a bound or a refusal (QuanchengError), or an answer not shaped as a page.
UNREADABLE = (httpx.HTTPError, ValueError, KeyError, TypeError, QuanchengError)


@dataclass(frozen=True)
class HistoryLimits:
    """What one refresh reads from one gateway, and for how long (the owner's page waits).

    Attributes:
        max_page_bytes: Largest page of the log (``PAGE`` receipts are about 400 KB).
        max_pages: Pages read per refresh; a longer history is read on at the next one.
        timeout_s: Longest wait of each network operation.
        deadline_s: Longest time spent reading one gateway's log in one refresh.
    """

    max_page_bytes: int = 4 * 1024 * 1024
    max_pages: int = 20
    timeout_s: float = 5.0
    deadline_s: float = 20.0


class OwnerLogTooLong(GatewayError):
    """A gateway has more of an owner's log than one refresh reads; reading stopped there.

    Attributes:
        endpoint: The gateway.
        pages: The bound, in pages of ``PAGE`` receipts.
    """

    code = "OWNER_LOG_TOO_LONG"

    def __init__(self, endpoint: str, pages: int) -> None:
        self.endpoint, self.pages = endpoint, pages
        super().__init__(
            f"{endpoint}: more than {pages} pages of {PAGE} receipts in one refresh; "
            "reading stopped there"
        )


class OwnerLogPages:
    """The pages of an owner's receipts at a gateway, read as the identity authority."""

    def __init__(
        self, http: httpx.Client, reader: LogReader, endpoints: EndpointPolicy | None
    ) -> None:
        """``endpoints``: where logs may be read (the catalogue's endpoints)."""
        self._http, self._reader, self._endpoints = http, reader, endpoints

    def pages(
        self, owner: str, endpoint: str, provider: str, start: int, limits: HistoryLimits
    ) -> Iterator[tuple[int, list[SignedReceipt]]]:
        """Pages of this owner's receipts: (where the next page starts, receipts).

        Raises:
            OwnerLogTooLong: More than ``max_pages`` pages (those read are kept).
            ResponseTooLarge, ResponseTooSlow, RedirectRefused, EndpointNotAllowed: A page
                broke a bound or the endpoint is not the catalogue's.
            Refusal: The gateway refused (its typed error).
            ValueError: A page is not one.
        """
        base = endpoint.rstrip("/") + "/v1/receipts"
        started = time.monotonic()
        for _ in range(limits.max_pages):
            url = with_query(base, {"owner": owner, "from_index": start, "limit": PAGE})
            body = self._read_page(url, provider, started, limits)
            receipts = [SignedReceipt.model_validate(r) for r in body["receipts"]]
            following = int(body["next_index"])
            if len(receipts) > PAGE or (len(receipts) == PAGE and following <= start):
                raise ValueError(f"{url}: not a page of the log (it would never end)")
            start = max(start, following)
            yield start, receipts
            if len(receipts) < PAGE or start >= int(body["total"]):
                return
        raise OwnerLogTooLong(endpoint, limits.max_pages)

    def _read_page(self, url: str, provider: str, started: float, limits: HistoryLimits) -> Any:
        remaining = limits.deadline_s - (time.monotonic() - started)
        if remaining <= 0:
            raise ResponseTooSlow(url, limits.deadline_s)
        resp = read_bounded(
            self._http, "GET", url, endpoints=self._endpoints,
            bounds=ReadBounds(max_bytes=limits.max_page_bytes, deadline_s=remaining),
            headers=self._reader.headers(url, audience=provider),
            timeout=min(limits.timeout_s, remaining),
        )  # fmt: skip
        if resp.status_code != 200:
            try:
                parsed = resp.json()
            except ValueError:
                parsed = None
            raise refusal_from_body(resp.status_code, parsed)
        return resp.json()
