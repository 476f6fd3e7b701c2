"""The SDK installs alone: a fresh venv outside the repository, ``pip install sdk/``.

It must bring no server package, ship ``py.typed``, import every module of ``quancheng``
(scripts/check_sdk_alone.py) and work offline. The number of packages and their size are
printed (``-s``) and recorded as properties of the test (``--junitxml``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from tests.packaging.sdk_venv import REPO, SdkVenv

pytestmark = pytest.mark.slow

#: Distributions that serve, store through an ORM, plot, compile or drive a shell: the root
#: project's, never the SDK's (the issue's list, and what brings them).
SERVER_DISTRIBUTIONS = frozenset(
    {
        "fastapi", "starlette", "uvicorn", "uvloop", "httptools", "watchfiles",
        "sqlmodel", "sqlalchemy", "matplotlib", "psycopg", "psycopg-binary", "py-solc-x",
        "jinja2", "prometheus-client", "structlog", "pydantic-settings", "typer", "rich",
        "quancheng-platform",
    }
)  # fmt: skip

OFFLINE_CHECK = """
import json
from quancheng.crypto import SM2PrivateKey, canonical_json
from quancheng.crypto.errors import InvalidSignature

key = SM2PrivateKey.generate()
document = canonical_json({"b": [1, 2.5, "济南"], "a": {"z": None, "y": True}})
signature = key.sign(document)
key.public_key().verify(signature, document)
try:
    key.public_key().verify(signature, document + b" ")
except InvalidSignature:
    tampered = "refused"
else:
    tampered = "accepted"
print(json.dumps({"canonical": document.decode(), "tampered": tampered}))
"""


def test_the_sdk_brings_no_server_package(
    sdk_venv: SdkVenv, record_property: Callable[[str, object], None]
) -> None:
    installed = sdk_venv.distributions()
    assert installed["quancheng-sdk"] == _sdk_version()
    assert not SERVER_DISTRIBUTIONS & installed.keys()
    mib = sdk_venv.installed_bytes() / (1 << 20)
    record_property("sdk_alone_packages", len(installed))
    record_property("sdk_alone_mib", round(mib, 1))
    print(f"\nquancheng-sdk alone: {len(installed)} packages, {mib:.1f} MiB in site-packages")


def test_the_installed_sdk_is_typed_and_semver(sdk_venv: SdkVenv) -> None:
    assert (sdk_venv.site_packages() / "quancheng" / "py.typed").is_file()
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?", _sdk_version())


def test_every_sdk_module_imports_with_only_the_sdk_dependencies(sdk_venv: SdkVenv) -> None:
    result = sdk_venv.run_python(str(REPO / "scripts" / "check_sdk_alone.py"))
    report = json.loads(result.stdout)
    assert report["failed"] == {}
    assert report["server_installed"] == [] and report["server_imported"] == []
    assert report["sdk_file"].startswith(str(sdk_venv.root))  # not the checkout's copy
    assert {"quancheng.client", "quancheng.crypto.sm2", "quancheng.verify"} <= set(
        report["imported"]
    )
    assert result.returncode == 0, result.stderr


def test_sm2_and_canonical_json_work_offline(sdk_venv: SdkVenv) -> None:
    offline = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    result = sdk_venv.run_python("-c", OFFLINE_CHECK, env=offline)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "canonical": '{"a":{"y":true,"z":null},"b":[1,2.5,"济南"]}',
        "tampered": "refused",
    }


def _sdk_version() -> str:
    text = (REPO / "sdk" / "quancheng" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    assert match is not None
    return match.group(1)
