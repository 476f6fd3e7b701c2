"""The credentials directory: what a bank's or an insurer's engineer takes from the sandbox.

::

    credentials/
      sandbox.json           everything below, self-describing (paths absolute)
      sandbox.env            the same as variables (``set -a; . sandbox.env``)
      manifest.json          the deployment: contract addresses, chain id
      ca.pem                 the development CA every gateway's certificate chains to (TLS)
      bank/, insurer/        per consumer: sm2.pem (SM2 identity key), chain.key (hex account
                             key), tls.pem + tls.key (client certificate of the CA)
      owners/ROLE.pem        the seeded owners' wallet keys (the portal's key-backup format)

Keys are 0600. They are development keys of a development chain: never use them elsewhere.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

from quancheng_demo.sandbox.records import ConsumerCredentials, SandboxDescription
from quancheng_demo.sandbox.seed import CONSUMERS
from quancheng_demo.sandbox.state import Layout, write_private
from quancheng_demo.stack import DemoStack
from quancheng_node.localnet import INSTITUTIONS

__all__ = ["INSTITUTION_NAMES", "write_consumers", "write_description"]


#: Each member's name, by consortium code.
INSTITUTION_NAMES = {spec.code: spec.name for spec in INSTITUTIONS}


def write_consumers(stack: DemoStack, layout: Layout) -> dict[str, ConsumerCredentials]:
    """Write each consumer's keys and certificate; their descriptions by alias."""
    target = layout.credentials_dir
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(stack.manifest_path, target / "manifest.json")
    ca_file = None
    if stack.tls:
        ca_file = target / "ca.pem"
        shutil.copyfile(stack.ca_file, ca_file)
    consumers = {}
    for alias, code in CONSUMERS.items():
        folder = target / alias
        institution = stack.institution(code)
        write_private(folder / "sm2.pem", institution.sm2_key.to_pem().decode("ascii"))
        write_private(folder / "chain.key", bytes(institution.account.key).hex() + "\n")
        tls = None
        if ca_file is not None:
            client = stack.tls_for(code)
            assert client.cert_file is not None and client.key_file is not None
            shutil.copyfile(client.cert_file, folder / "tls.pem")
            write_private(folder / "tls.key", client.key_file.read_text())
            tls = {"ca_file": str(ca_file), "cert_file": str(folder / "tls.pem"),
                   "key_file": str(folder / "tls.key")}  # fmt: skip
        consumers[alias] = ConsumerCredentials(
            code=code, name=INSTITUTION_NAMES[code], chain_account=institution.address,
            institution={"code": code, "sm2_key": str(folder / "sm2.pem"),
                         "chain_key_file": str(folder / "chain.key")},
            tls=tls, env_prefix=f"QC_{alias.upper()}_",
        )  # fmt: skip
    return consumers


def write_description(layout: Layout, description: SandboxDescription) -> None:
    """Write ``sandbox.json`` and ``sandbox.env``."""
    body: dict[str, Any] = description.model_dump(mode="json")
    write_private(
        layout.credentials_dir / "sandbox.json",
        json.dumps(body, ensure_ascii=False, indent=2) + "\n",
    )
    write_private(layout.credentials_dir / "sandbox.env", _env_text(description))


def _env_text(d: SandboxDescription) -> str:
    lines = [
        "# 泉城链 sandbox: load with `set -a; . sandbox.env; set +a` (or python-dotenv).",
        f"# Every value is also in {d.manifest.parent / 'sandbox.json'}.",
        f"QC_SANDBOX_JSON={d.manifest.parent / 'sandbox.json'}",
        f"QC_RPC_URL={d.rpc_url}",
        f"QC_CHAIN_ID={d.chain_id}",
        f"QC_MANIFEST={d.manifest}",
        f"QC_EVIDENCE_DIR={d.evidence_dir}",
        f"QC_PORTAL_URL={d.endpoints.portal}",
    ]
    if d.ca_file is not None:
        lines.append(f"QC_TLS_CA_FILE={d.ca_file}")
    for kind in ("claims", "credit"):
        url = getattr(d.endpoints, kind)
        if url:
            lines.append(f"QC_{kind.upper()}_URL={url}")
    for consumer in d.consumers.values():
        p = consumer.env_prefix
        lines += [
            f"{p}INSTITUTION_CODE={consumer.code}",
            f"{p}SM2_KEY_FILE={consumer.institution['sm2_key']}",
            f"{p}CHAIN_KEY_FILE={consumer.institution['chain_key_file']}",
        ]
        if consumer.tls is not None:
            lines += [
                f"{p}TLS_CA_FILE={consumer.tls['ca_file']}",
                f"{p}TLS_CERT_FILE={consumer.tls['cert_file']}",
                f"{p}TLS_KEY_FILE={consumer.tls['key_file']}",
            ]
    for code, gateway in d.endpoints.gateways.items():
        lines.append(f"QC_GATEWAY_{code.upper().replace('.', '_')}_URL={gateway['url']}")
    for grant in d.grants:
        name = f"QC_{grant.consumer.upper()}_{grant.status}_GRANT_ID"
        if not any(line.startswith(name + "=") for line in lines):
            lines.append(f"{name}={grant.grant_id}")
    return "\n".join(lines) + "\n"
