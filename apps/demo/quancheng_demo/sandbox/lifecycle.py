"""``up``, ``status`` and ``down`` of a sandbox directory.

``up`` on a new (or empty) directory builds the sandbox — the demo's stack (chain, contracts,
consortium, development CA, department data, catalogue, gateways), the seeded owners and
grants, the credentials, the portal and the optional services — and leaves it running. On a
directory whose sandbox was stopped it starts the same processes again over the same data
and ports (the chain replays its journal). On a running sandbox it changes nothing.
"""

from __future__ import annotations

import secrets
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from quancheng_datagen import DemoCast, demo_cast
from quancheng_demo.sandbox.credentials import (
    INSTITUTION_NAMES,
    write_consumers,
    write_description,
)
from quancheng_demo.sandbox.errors import SandboxDirNotOurs, SandboxPartlyRunning
from quancheng_demo.sandbox.ports import check_free, plan_ports
from quancheng_demo.sandbox.procs import child_pids, is_alive, stop_children, track
from quancheng_demo.sandbox.records import (
    ConsumerCredentials,
    Endpoints,
    SandboxDescription,
    SeededGrant,
    SeededOwner,
)
from quancheng_demo.sandbox.seed import CONSUMERS, seed
from quancheng_demo.sandbox.services import (
    OPTIONAL_SERVICES,
    gateway_specs,
    launch,
    optional_spec,
    portal_spec,
)
from quancheng_demo.sandbox.state import (
    DEFAULT_BASE_PORT,
    ChainSpec,
    LaunchPlan,
    Layout,
    RunningProcess,
    SandboxState,
    ServiceSpec,
    dump,
    read_model,
    write_private,
)
from quancheng_demo.stack import DEPARTMENTS, DemoStack
from quancheng_node.config import NodeSettings
from quancheng_node.process import HardhatNode

__all__ = ["BUSINESSES", "PEOPLE", "SEED", "up"]

Say = Callable[[str], None]

#: Apps started at once (two cores: a start is mostly imports, then waiting for /healthz).
LAUNCH_PARALLELISM = 4
#: The synthetic world: the demo's seed, smaller (the cast is in it either way).
SEED, PEOPLE, BUSINESSES = 20261121, 300, 30


def up(
    root: Path, *, tls: bool = True, base_port: int = DEFAULT_BASE_PORT, say: Say = print
) -> tuple[SandboxState, bool]:
    """Bring the sandbox of ``root`` up; the state, and whether it was already up.

    Raises:
        SandboxPartlyRunning: Some of its processes run, others not (run ``down`` first).
        SandboxPortsInUse: A port it needs is taken.
        SandboxDirNotOurs: ``root`` holds something else.
        SandboxStateInvalid: Its state or launch file is unreadable.
    """
    layout = Layout(root.resolve())
    state = read_model(layout.state_file, SandboxState)
    if state is not None:
        stopped = [p.name for p in state.processes if not is_alive(p)]
        if stopped:
            raise SandboxPartlyRunning(layout.root, stopped)
        return state, True
    plan = read_model(layout.launch_file, LaunchPlan)
    if plan is not None and plan.tls != tls:
        say(f"(the sandbox was built with{'' if plan.tls else 'out'} TLS: it keeps that)")
    before = child_pids()  # a caller's own children (up may run inside a larger program)
    try:
        if plan is not None:
            return _resume(layout, plan, say), False
        return _create(layout, tls, base_port, say), False
    except BaseException:
        # What was started is stopped on the way out; a server interrupted while starting
        # is not known to anyone yet: nothing of a failed `up` may outlive it — and nothing
        # that ran before it is touched.
        stop_children(spare=before)
        raise


# ----------------------------------------------------------------------------- building


def _claim(layout: Layout) -> None:
    """Make ``root`` the sandbox's: new or empty, or an earlier sandbox's unfinished build."""
    root = layout.root
    if root.exists() and any(root.iterdir()) and not layout.marker.exists():
        raise SandboxDirNotOurs(root)
    if root.exists():
        for child in root.iterdir():
            if child != layout.marker:
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    root.mkdir(parents=True, exist_ok=True)
    layout.marker.write_text("a 泉城链 sandbox (python -m quancheng_demo.sandbox)\n")


def _create(layout: Layout, tls: bool, base_port: int, say: Say) -> SandboxState:
    ports = plan_ports(base_port)
    check_free(ports, resuming=False)  # before anything is written
    _claim(layout)
    cast = demo_cast(SEED, people=PEOPLE, businesses=BUSINESSES)
    with ExitStack() as cleanup:
        stack = DemoStack(
            layout.stack_dir, SEED, PEOPLE, BUSINESSES, iter(ports.values()), say=say, tls=tls
        )
        cleanup.enter_context(stack)
        owners, grants = seed(stack, cast, layout.credentials_dir / "owners")
        say(
            f"身份认证机构认证 {len(owners)} 位数据主体的钱包公钥；"
            "银行与保险公司各有 1 项已生效、1 项待同意的授权"
        )
        consumers = write_consumers(stack, layout)
        token = secrets.token_urlsafe(32)  # the claims/credit officers' operator token
        specs, unavailable = _service_specs(stack, layout, cast, ports, consumers, token)
        servers = _launch_all(specs, cleanup)
        assert stack.node is not None
        plan = LaunchPlan(
            tls=tls, ports=ports, unavailable=unavailable,
            chain=ChainSpec(port=ports["chain"], state_dir=stack.node.state_dir),
            services=[*gateway_specs(stack), *specs],
        )  # fmt: skip
        write_private(layout.launch_file, dump(plan))
        running = [
            track("chain", "chain", _pid(stack.node.pid), stack.rpc_url, stack.node.log_file),
            *(track(f"gateway {code}", "gateway", _pid(gw.pid), gw.url, gw.log_file)
              for code, gw in stack.gateways.items()),
            *servers,
        ]  # fmt: skip
        state = _state(layout, plan, running)
        officers = token if any(s.kind in OPTIONAL_SERVICES for s in specs) else None
        write_description(layout, _describe(layout, state, consumers, (owners, grants), officers))
        write_private(layout.state_file, dump(state))
        stack.detach()
        cleanup.pop_all()  # everything started now outlives this command
    return state


def _service_specs(
    stack: DemoStack,
    layout: Layout,
    cast: DemoCast,
    ports: dict[str, int],
    consumers: dict[str, ConsumerCredentials],
    officer_token: str,
) -> tuple[list[ServiceSpec], dict[str, str]]:
    specs = [portal_spec(stack, layout, cast, ports["portal"])]
    unavailable: dict[str, str] = {}
    alias_of = {code: alias for alias, code in CONSUMERS.items()}
    for kind, (_, code) in OPTIONAL_SERVICES.items():
        consumer = consumers[alias_of[code]]
        keys = {"sm2_key_file": Path(consumer.institution["sm2_key"]),
                "chain_key_file": Path(consumer.institution["chain_key_file"])}  # fmt: skip
        if consumer.tls is not None:
            keys.update({f"gateway_tls_{k}": Path(v) for k, v in consumer.tls.items()})
        spec = optional_spec(kind, stack, layout, ports[kind], keys, officer_token)
        if isinstance(spec, str):
            unavailable[kind] = spec
        else:
            specs.append(spec)
    return specs, unavailable


def _launch_all(specs: list[ServiceSpec], cleanup: ExitStack) -> list[RunningProcess]:
    """Start the apps of ``specs`` a few at a time (a start mostly waits for imports and
    /healthz); each one started is stopped by ``cleanup`` unless the caller detaches — also
    when another fails or ``up`` is interrupted meanwhile."""
    lock = threading.Lock()

    def start(spec: ServiceSpec) -> RunningProcess:
        server = launch(spec)
        with lock:
            cleanup.callback(server.stop)
        return track(spec.name, spec.kind, _pid(server.pid), server.url, spec.log_file)

    with ThreadPoolExecutor(max_workers=LAUNCH_PARALLELISM) as pool:
        return list(pool.map(start, specs))


def _resume(layout: Layout, plan: LaunchPlan, say: Say) -> SandboxState:
    names = {"chain", *(s.name for s in plan.services)}
    check_free({n: p for n, p in plan.ports.items() if n in names}, resuming=True)
    with ExitStack() as cleanup:
        node = HardhatNode(NodeSettings(port=plan.chain.port, state_dir=plan.chain.state_dir))
        node.start()  # replays the chain's journal
        cleanup.callback(node.stop)
        say(f"本地链节点已从日志恢复  {node.rpc_url}")
        chain = track("chain", "chain", _pid(node.pid), node.rpc_url, node.log_file)
        running = [chain, *_launch_all(plan.services, cleanup)]
        say(f"{len(plan.services)} 个服务已重新启动（网关、门户…），数据与端口同上次")
        state = _state(layout, plan, running)
        write_private(layout.state_file, dump(state))
        cleanup.pop_all()
    return state


# ------------------------------------------------------------------------------ records


def _pid(pid: int | None) -> int:
    if pid is None:
        raise ProcessLookupError("a process the sandbox just started is not running")
    return pid


def _state(layout: Layout, plan: LaunchPlan, running: list[RunningProcess]) -> SandboxState:
    return SandboxState(
        root=layout.root, started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        tls=plan.tls, ca_file=layout.credentials_dir / "ca.pem" if plan.tls else None,
        processes=running, unavailable=plan.unavailable,
    )  # fmt: skip


def _describe(
    layout: Layout,
    state: SandboxState,
    consumers: dict[str, ConsumerCredentials],
    seeded: tuple[list[SeededOwner], list[SeededGrant]],
    officer_token: str | None,
) -> SandboxDescription:
    urls = {p.name: p.url for p in state.processes}
    return SandboxDescription(
        about=(
            "A running 泉城链 sandbox (development keys, synthetic data). Stop it with "
            f"`python -m quancheng_demo.sandbox down --dir {layout.root}`."
        ),
        rpc_url=state.rpc_url, chain_id=NodeSettings().chain_id,
        manifest=layout.credentials_dir / "manifest.json", ca_file=state.ca_file,
        evidence_dir=layout.evidence_dir,
        endpoints=Endpoints(
            chain=state.rpc_url, portal=urls["portal"],
            claims=urls.get("claims"), credit=urls.get("credit"),
            gateways={code: {"name": INSTITUTION_NAMES[code], "url": urls[f"gateway {code}"]}
                      for code in DEPARTMENTS},
        ),
        consumers=consumers, owners=seeded[0], grants=seeded[1], officer_token=officer_token,
        unavailable=state.unavailable,
    )  # fmt: skip
