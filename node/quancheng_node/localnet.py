"""The local development consortium: who is who on the embedded default chain.

A deployment names its own institutions, accounts and keys (``quancheng deploy --committee``);
the local default uses this fixed cast of Jinan institutions, with chain accounts from the
node's development mnemonic and SM2 keys generated once into the state directory (PEM,
mode 0600), so that ``make demo`` and a developer's node agree on who signs what.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from quancheng.chain.types import Role
from quancheng.crypto import SM2PrivateKey
from quancheng_node.process import DEV_MNEMONIC

__all__ = ["INSTITUTIONS", "LocalConsortium", "LocalInstitution", "MemberSpec"]


@dataclass(frozen=True)
class MemberSpec:
    """One institution of the local consortium."""

    code: str
    name: str
    role: Role
    account_index: int  # index in the development mnemonic


#: Founding committee first (the first is the identity authority), then the others.
INSTITUTIONS: tuple[MemberSpec, ...] = (
    MemberSpec("jinan.bdb", "济南市大数据局", Role.COMMITTEE, 1),
    MemberSpec("pbc.shandong", "中国人民银行山东省分行", Role.COMMITTEE, 2),
    MemberSpec("nfra.shandong", "国家金融监督管理总局山东监管局", Role.COMMITTEE, 3),
    MemberSpec("jinan.vmo", "济南市公安局交通警察支队车辆管理所", Role.PROVIDER, 4),
    MemberSpec("jinan.civil", "济南市民政局", Role.PROVIDER, 5),
    MemberSpec("jinan.hsa", "济南市医疗保障局", Role.PROVIDER, 6),
    MemberSpec("jinan.tax", "国家税务总局济南市税务局", Role.PROVIDER, 7),
    MemberSpec("jinan.hrss", "济南市人力资源和社会保障局", Role.PROVIDER, 8),
    MemberSpec("jinan.hpf", "济南住房公积金中心", Role.PROVIDER, 9),
    MemberSpec("jinan.utilities", "济南市水电气公共服务平台", Role.PROVIDER, 10),
    MemberSpec("jinan.amr", "济南市市场监督管理局", Role.PROVIDER, 11),
    MemberSpec("ins.qilu", "齐鲁财产保险济南中心支公司", Role.CONSUMER, 12),
    MemberSpec("bank.quancheng", "泉城普惠银行", Role.CONSUMER, 13),
    MemberSpec("audit.jinan", "济南市审计局", Role.AUDITOR, 14),
)
DEPLOYER_INDEX = 0
THRESHOLD = 2
VOTING_PERIOD = 7 * 24 * 3600


@dataclass(frozen=True)
class LocalInstitution:
    """An institution with its keys (development only: the keys live on this disk)."""

    spec: MemberSpec
    account: LocalAccount
    sm2: SM2PrivateKey

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def role(self) -> Role:
        return self.spec.role


def _dev_account(index: int) -> LocalAccount:
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(
        DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}"
    )
    return account


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


class LocalConsortium:
    """The local cast, its keys loaded from (or created in) ``keys_dir``."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir
        self.deployer = _dev_account(DEPLOYER_INDEX)
        self.institutions: dict[str, LocalInstitution] = {
            spec.code: LocalInstitution(spec, _dev_account(spec.account_index), self._sm2(spec))
            for spec in INSTITUTIONS
        }
        self.pseudonym_key = self._secret("pseudonym.key")

    def __getitem__(self, code: str) -> LocalInstitution:
        return self.institutions[code]

    @property
    def committee(self) -> list[LocalInstitution]:
        return [i for i in self.institutions.values() if i.role is Role.COMMITTEE]

    @property
    def identity_authority(self) -> LocalInstitution:
        """The committee member that runs real-name checks and relays owners' decisions."""
        return self.institutions["jinan.bdb"]

    def by_role(self, role: Role) -> list[LocalInstitution]:
        return [i for i in self.institutions.values() if i.role is role]

    def _sm2(self, spec: MemberSpec) -> SM2PrivateKey:
        path = self.keys_dir / f"{spec.code}.pem"
        if path.exists():
            return SM2PrivateKey.from_pem(path.read_bytes())
        key = SM2PrivateKey.generate()
        _write_private(path, key.to_pem())
        return key

    def _secret(self, name: str) -> bytes:
        path = self.keys_dir / name
        if path.exists():
            return bytes.fromhex(path.read_text().strip())
        value = secrets.token_bytes(32)
        _write_private(path, value.hex().encode() + b"\n")
        return value
