"""Errors of the ``quancheng`` command that name what to do next.

They sit in the project's one exception tree, so ``main`` prints each as one line
(``error: <code>: <message>``) and exits 1.
"""

from __future__ import annotations

from quancheng.errors import ChainError

__all__ = ["ChainNotRunning"]


class ChainNotRunning(ChainError):
    """No node answers JSON-RPC at the URL a command was to use.

    Attributes:
        rpc_url: The URL that did not answer.
        given: Whether the URL came from ``--rpc-url`` (else from ``chain up`` or the default).
    """

    code = "CHAIN_NOT_RUNNING"

    def __init__(self, rpc_url: str, *, given: bool) -> None:
        self.rpc_url = rpc_url
        self.given = given
        fix = (
            "check --rpc-url, or start the local node with `quancheng chain up` and leave "
            "--rpc-url out"
            if given
            else "start it with `quancheng chain up` (or give --rpc-url of a running node)"
        )
        super().__init__(f"no chain answers at {rpc_url}: is the chain running? {fix}")
