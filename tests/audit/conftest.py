"""Fixtures of the audit tests: one honest trail per session, exported as evidence."""

from __future__ import annotations

from typing import Any

import pytest

from tests.audit.trail import FUNDER_INDEX, Trail, build_honest_trail
from tests.conftest import own_chain_node

chain_node = own_chain_node()  # this package's own node (tests/conftest.py)


@pytest.fixture(scope="package")
def trail(chain_node: Any, tmp_path_factory: pytest.TempPathFactory) -> Trail:
    """A real trail: node, gateway, queries, key rotation, revocation; saved as evidence."""
    return build_honest_trail(
        chain_node.rpc_url,
        chain_node.dev_private_keys[FUNDER_INDEX],
        tmp_path_factory.mktemp("audit-trail"),
    )
