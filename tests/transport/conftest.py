"""Fixtures of the transport tests: development CAs made once per session, in tmp."""

from __future__ import annotations

from pathlib import Path

import pytest

from quancheng_appkit.devca import DevCa

#: The members the session's CA issues client certificates to.
MEMBERS = ("bank.quancheng", "ins.qilu")


@pytest.fixture(scope="session")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> DevCa:
    """The session's development CA (server certificate and the members' certificates)."""
    return DevCa.ensure(tmp_path_factory.mktemp("tls") / "ca", MEMBERS)


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> DevCa:
    """A second, unrelated CA: what an impostor's certificates are signed by."""
    return DevCa.ensure(tmp_path_factory.mktemp("tls") / "other", MEMBERS)


@pytest.fixture
def tls_dir(tmp_path: Path) -> Path:
    """An empty directory for a test's own CA."""
    return tmp_path / "tls"
