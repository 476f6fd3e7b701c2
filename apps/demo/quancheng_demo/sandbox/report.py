"""What the sandbox prints: every endpoint and where the credentials are; one line per process.

``up`` prints :func:`summary` whether it started the sandbox or found it running, so a second
``up`` shows the same. ``status`` probes each process: alive (and still the one started),
``/healthz`` answering 200, the chain's head block.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quancheng.tls import TlsConfig
from quancheng_demo.sandbox.procs import is_alive
from quancheng_demo.sandbox.records import SandboxDescription
from quancheng_demo.sandbox.state import Layout, RunningProcess, SandboxState, read_model

__all__ = ["probe", "status_lines", "summary"]

Say = Callable[[str], None]


def summary(layout: Layout, state: SandboxState, say: Say) -> None:
    """Every endpoint, the credentials, the seeded owners and grants, how to stop."""
    d = read_model(layout.credentials_dir / "sandbox.json", SandboxDescription)
    transport = "HTTPS, mutual TLS (development CA)" if state.tls else "plain HTTP on loopback"
    say(f"泉城链 sandbox in {layout.root}  (gateways: {transport})")
    for proc in state.processes:
        say(f"  {proc.name:<26} {proc.url}")
    for kind, why in state.unavailable.items():
        say(f"  {kind:<26} not available: {why}")
    if d is None:
        return
    creds = layout.credentials_dir
    say(f"credentials       {creds}")
    say(f"  sandbox.json    {creds / 'sandbox.json'}   (everything, for the SDK: docs/sandbox.md)")
    say(f"  sandbox.env     {creds / 'sandbox.env'}    (set -a; . sandbox.env; set +a)")
    say(f"  manifest        {d.manifest}")
    if d.ca_file is not None:
        say(f"  CA              {d.ca_file}")
    for alias, c in d.consumers.items():
        files = "sm2.pem chain.key" + (" tls.pem tls.key" if c.tls else "")
        say(f"  {alias:<15} {c.code} {c.name}  account {c.chain_account}")
        say(f"  {'':<15} {Path(c.institution['sm2_key']).parent}/{{{files.replace(' ', ',')}}}")
    if d.officer_token:
        say(f"  officer token   {d.officer_token}   (claims/credit pages and API)")
    say("seeded owners (synthetic; wallet keys in credentials/owners/, importable in the portal)")
    for o in d.owners:
        say(f"  {o.role:<15} {o.kind:<10} {o.name}  pseudonym {o.pseudonym[:18]}…")
    say("grants")
    for g in d.grants:
        say(f"  {g.consumer:<8} {g.status:<8} {g.title}（{g.owner_name}）  {g.grant_id}")
    say(f"stop:   python -m quancheng_demo.sandbox down --dir {layout.root}")


def status_lines(state: SandboxState) -> tuple[list[str], bool]:
    """One line per process (and per unavailable service); whether all are up."""
    context = _ssl_context(state.ca_file)
    lines, ok = [], True
    for proc in state.processes:
        alive = is_alive(proc)
        healthy, detail = probe(proc, context) if alive else (False, "not running")
        ok = ok and healthy
        mark = "up  " if healthy else "DOWN"
        lines.append(f"  {mark} {proc.name:<26} pid {proc.pid:<8} {proc.url}  {detail}")
    for kind, why in state.unavailable.items():
        lines.append(f"  --   {kind:<26} not available: {why}")
    return lines, ok


def probe(proc: RunningProcess, context: ssl.SSLContext | None) -> tuple[bool, str]:
    """Whether ``proc`` answers: the chain its head block, the others ``/healthz`` with 200."""
    if proc.kind == "chain":
        head = _rpc(proc.url, "eth_blockNumber")
        return (True, f"head block {int(head, 16)}") if isinstance(head, str) else (
            False, "no JSON-RPC answer")  # fmt: skip
    request = urllib.request.Request(proc.url + "/healthz")
    try:
        with urllib.request.urlopen(request, timeout=3, context=context) as resp:
            return True, f"/healthz {resp.status}"
    except urllib.error.HTTPError as exc:
        return False, f"/healthz {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"/healthz no answer ({exc})"


def _ssl_context(ca_file: Path | None) -> ssl.SSLContext | None:
    return TlsConfig(ca_file).ssl_context() if ca_file is not None else None


def _rpc(url: str, method: str) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=3) as resp:
            return json.loads(resp.read()).get("result")
    except (urllib.error.URLError, OSError, ValueError):
        return None
