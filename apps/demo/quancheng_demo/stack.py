"""Everything the demo runs, started in order and always stopped: chain, contracts,
consortium, development CA, department data, catalogue, gateways.

The development CA (``workdir/tls``, :class:`~quancheng_appkit.devca.DevCa`) issues the
server certificate and one client certificate per institution: :meth:`DemoStack.tls_for`.
With ``tls`` (the default of ``make demo``; ``QC_DEMO_TLS=0`` turns it off) every gateway
serves HTTPS, asks for client certificates of that CA, and is registered in the catalogue at
its ``https://`` endpoint.

:class:`DemoStack` is a context manager: whatever it started is stopped on exit, even when
a step fails, so ``make demo`` never leaves a node or a gateway behind.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from quancheng import Institution
from quancheng.chain import ContractSet, Manifest, Role, make_web3
from quancheng.committee import Committee
from quancheng.tls import TlsConfig
from quancheng_appkit.devca import DevCa
from quancheng_datagen import populate
from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.process import GatewayProcess
from quancheng_gateway.resources import Department, load_department
from quancheng_node.config import NodeSettings
from quancheng_node.deploy import FoundingMember, deploy
from quancheng_node.localnet import THRESHOLD, VOTING_PERIOD, LocalConsortium, LocalInstitution
from quancheng_node.process import HardhatNode

Step = Callable[[str], None]

#: The departments' gateway plug-ins, as a gateway's settings name them.
PLUGIN_PATHS = (
    "quancheng_insurance.departments:vehicle",
    "quancheng_insurance.departments:civil_affairs",
    "quancheng_insurance.departments:medical_insurance",
    "quancheng_finance.departments:tax",
    "quancheng_finance.departments:social_security",
    "quancheng_finance.departments:housing_fund",
    "quancheng_finance.departments:utilities",
    "quancheng_finance.departments:market_regulation",
)
#: Provider code → (plug-in path, department).
DEPARTMENTS: dict[str, tuple[str, Department]] = {
    dept.provider: (path, dept) for path in PLUGIN_PATHS for dept in [load_department(path)]
}


@dataclass
class DemoStack:
    """The embedded default: one local node, SQLite everywhere, every gateway on loopback."""

    workdir: Path
    seed: int
    people: int
    businesses: int
    ports: Iterator[int]
    say: Step = print
    node: HardhatNode | None = None
    manifest: Manifest | None = None
    consortium: LocalConsortium | None = None
    gateways: dict[str, GatewayProcess] = field(default_factory=dict)
    #: Serve the gateways over HTTPS with client certificates (``make demo`` does).
    tls: bool = False
    devca: DevCa | None = None
    #: The gateways' operator token (fresh per run): /metrics and the details of /healthz.
    metrics_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    _exit: ExitStack = field(default_factory=ExitStack)

    # ----------------------------------------------------------------------- lifecycle
    def __enter__(self) -> DemoStack:
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.workdir.mkdir(parents=True)
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.say("停止网关与链节点")
        self._exit.close()

    def detach(self) -> None:
        """Leave the node and the gateways running past this stack (the sandbox keeps them
        up, as detached processes): leaving the ``with`` block then stops nothing."""
        self._exit.pop_all()

    def _start(self) -> None:
        self._start_chain()
        self._deploy()
        self._make_certificates()
        self._admit()
        self._load_data()
        scheme = "https" if self.tls else "http"
        endpoints = {code: f"{scheme}://127.0.0.1:{next(self.ports)}" for code in DEPARTMENTS}
        self._register_catalogue(endpoints)
        self._start_gateways(endpoints)

    # ------------------------------------------------------------------------- steps
    def _start_chain(self) -> None:
        settings = NodeSettings(port=next(self.ports), state_dir=self.workdir / "chain")
        self.node = HardhatNode(settings)
        self.node.start()
        self._exit.callback(self.node.stop)
        self.say(f"本地链节点已启动  {self.node.rpc_url}  (chain id {settings.chain_id})")

    def _deploy(self) -> None:
        assert self.node is not None
        self.consortium = LocalConsortium(self.workdir / "consortium")
        founders = [
            FoundingMember(
                id=i.code,
                name=i.name,
                account=i.account.address,
                sm2_public_key=i.sm2.public_key().to_bytes(),
            )
            for i in self.consortium.committee
        ]
        self.manifest = deploy(
            self.node.rpc_url,
            "0x" + bytes(self.consortium.deployer.key).hex(),
            founders,
            THRESHOLD,
            VOTING_PERIOD,
            manifest_path=self.manifest_path,
        )
        names = "、".join(i.name for i in self.consortium.committee)
        self.say(
            f"合约已部署（6 个，含链上 SM2/SM3 验签合约），"
            f"创始委员会 {THRESHOLD}/{len(founders)}：{names}"
        )

    def _make_certificates(self) -> None:
        assert self.consortium is not None
        self.devca = DevCa.ensure(self.workdir / "tls", self.consortium.institutions.keys())
        if self.tls:
            self.say(
                f"开发 CA 签发网关服务器证书与 {len(self.consortium.institutions)} 家机构的"
                "客户端证书（TLS 1.2+，ECDSA P-256；仅用于开发）"
            )

    def _admit(self) -> None:
        consortium = self.consortium
        assert consortium is not None
        committee = self.committee()
        for inst in consortium.institutions.values():
            if inst.role is Role.COMMITTEE:
                continue
            committee.admit(
                inst.code, inst.name, inst.role, inst.account.address,
                inst.sm2.public_key().to_bytes(),
            )  # fmt: skip
        # Only an identity authority binds owners' keys; the committee votes 大数据局 into it.
        committee.grant_identity_authority("jinan.bdb")
        admitted = len(consortium.institutions) - len(consortium.committee)
        self.say(
            f"委员会投票（{THRESHOLD} 票通过）准入 {admitted} 家机构：数据提供方、银行、保险、审计"
        )

    def _load_data(self) -> None:
        (self.workdir / "data").mkdir()
        total = 0
        for code, (_, dept) in DEPARTMENTS.items():
            engine = create_engine(self.data_url(code))
            counts = populate(
                engine, dept.datagen_department, self.seed, self.people, self.businesses
            )
            engine.dispose()
            total += sum(counts.values())
        self.say(
            f"各部门数据留在本部门：合成 {self.people:,} 人、{self.businesses:,} 家企业，"
            f"{total:,} 条记录，分存 {len(DEPARTMENTS)} 个部门数据库"
        )

    def _register_catalogue(self, endpoints: dict[str, str]) -> None:
        committee = self.committee()
        count = 0
        for code, (_, dept) in DEPARTMENTS.items():
            for handler in dept.handlers:
                spec: Any = handler.spec
                extra: Any = handler
                committee.register_resource(
                    spec.resource_id,
                    provider=code,
                    fields=spec.fields,
                    indicators=spec.indicators,
                    sensitivity=int(extra.sensitivity),
                    purposes=[int(p) for p in extra.purposes],
                    endpoint=endpoints[code],
                )
                count += 1
        self.say(f"数据目录登记 {count} 项数据资源（字段、用途、敏感级别、网关地址）")

    def _start_gateways(self, endpoints: dict[str, str]) -> None:
        consortium, node = self.consortium, self.node
        assert consortium is not None and node is not None
        for code, endpoint in endpoints.items():
            inst = consortium[code]
            settings = GatewaySettings(
                environment="development",
                department=DEPARTMENTS[code][0],
                port=int(endpoint.rsplit(":", 1)[1]),
                database_url=f"sqlite:///{self.workdir / 'gateways' / f'{code}.db'}",
                data_url=self.data_url(code),
                rpc_url=node.rpc_url,
                manifest_path=self.manifest_path,
                sm2_key_pem=inst.sm2.to_pem().decode(),  # type: ignore[arg-type]
                chain_private_key="0x" + bytes(inst.account.key).hex(),  # type: ignore[arg-type]
                pseudonym_key=consortium.pseudonym_key.hex(),  # type: ignore[arg-type]
                batch_max_age_s=1.0,
                # The operator's scraper token: /metrics and /healthz details (stop waits).
                metrics_token=self.metrics_token,  # type: ignore[arg-type]
                **self._server_tls(),
            )
            (self.workdir / "gateways").mkdir(exist_ok=True)
            gateway = GatewayProcess(
                settings,
                log_file=self.workdir / "logs" / f"{code}.log",
                tls=self.devca.anonymous() if self.tls and self.devca else None,
            )
            gateway.start()
            self._exit.callback(gateway.stop)
            self.gateways[code] = gateway
        transport = (
            "HTTPS 双向认证；请求绑定机构的 TLS 证书，敏感数据以 SM2+SM4 密封给请求方"
            if self.tls
            else "仅本机 HTTP"
        )
        self.say(
            f"{len(self.gateways)} 个部门网关已启动（FastAPI + SQLite，{transport}；"
            "只答复链上授权允许的查询）"
        )

    def _server_tls(self) -> dict[str, Any]:
        """A gateway's TLS settings: the CA's server certificate, its members as clients."""
        if not self.tls:
            return {}
        assert self.devca is not None
        return {
            "tls_cert_file": self.devca.server_cert_file,
            "tls_key_file": self.devca.server_key_file,
            "tls_client_ca_file": self.devca.ca_file,
        }

    # ---------------------------------------------------------------------- accessors
    @property
    def ca_file(self) -> Path:
        """The development CA's certificate: what every client of the demo trusts."""
        assert self.devca is not None
        return self.devca.ca_file

    def tls_for(self, code: str) -> TlsConfig:
        """The TLS of institution ``code``: the CA and its client certificate."""
        assert self.devca is not None
        return self.devca.client(code)

    @property
    def manifest_path(self) -> Path:
        return self.workdir / "deployment.json"

    @property
    def rpc_url(self) -> str:
        assert self.node is not None
        return self.node.rpc_url

    def data_url(self, code: str) -> str:
        return f"sqlite:///{self.workdir / 'data' / f'{code}.db'}"

    def committee(self) -> Committee:
        assert self.consortium is not None and self.manifest is not None
        chain = ContractSet(make_web3(self.rpc_url), self.manifest)
        return Committee(chain, [i.account for i in self.consortium.committee[:THRESHOLD]])

    def institution(self, code: str) -> Institution:
        assert self.consortium is not None
        inst: LocalInstitution = self.consortium[code]
        return Institution(inst.code, inst.sm2, inst.account)
