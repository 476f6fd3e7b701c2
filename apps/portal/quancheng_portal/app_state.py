"""The portal's long-lived objects, built once per app from its settings."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from quancheng.authority import IdentityAuthority
from quancheng.chain import ContractSet
from quancheng.gateway_client import GatewayClient, RetryPolicy
from quancheng.log_reader import LogReader
from quancheng_portal.core.config import PortalSettings
from quancheng_portal.core.people import DemoPerson, load_people
from quancheng_portal.core.sessions import SessionStore
from quancheng_portal.db import make_engine
from quancheng_portal.services.decisions import Decisions
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.history import History
from quancheng_portal.services.owners import Owners

__all__ = ["PACKAGE_DIR", "Portal"]

PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass
class Portal:
    """Everything a request handler needs."""

    settings: PortalSettings
    engine: Engine
    authority: IdentityAuthority
    people: tuple[DemoPerson, ...]
    sessions: SessionStore
    directory: Directory
    owners: Owners
    decisions: Decisions
    history: History
    templates: Jinja2Templates
    http: httpx.Client
    gateways: GatewayClient

    @property
    def contracts(self) -> ContractSet:
        """The deployment."""
        return self.authority.contracts

    def person(self, key: str | None) -> DemoPerson | None:
        """The demo person with this key."""
        return next((p for p in self.people if p.key == key), None)

    @classmethod
    def build(cls, settings: PortalSettings, *, clock: Callable[[], float] = time.time) -> Portal:
        """Load keys, connect to the chain (nothing is sent) and open the database.

        Raises:
            SettingsError, IdentityError, ManifestError, ConfigError: Bad configuration.
        """
        institution, pseudonym_key = settings.load_authority()
        authority = IdentityAuthority(
            institution, pseudonym_key, settings.manifest_path, settings.rpc_url, clock=clock,
            max_action_age=settings.max_action_age_s, max_clock_skew=settings.max_clock_skew_s,
        )  # fmt: skip
        engine = make_engine(settings.database_url)
        timeout = httpx.Timeout(
            settings.gateway_timeout_s, connect=min(2.0, settings.gateway_timeout_s)
        )
        http = httpx.Client(timeout=timeout, headers={"user-agent": "quancheng-portal"})
        gateways = GatewayClient(timeout=timeout, retry=RetryPolicy(attempts=1))
        directory = Directory(authority.contracts, http)
        templates = Jinja2Templates(directory=PACKAGE_DIR / "templates")
        return cls(
            settings=settings, engine=engine, authority=authority,
            people=load_people(settings.demo_people_file),
            sessions=SessionStore(engine, settings.session_ttl_s, clock),
            directory=directory, owners=Owners(authority, engine),
            decisions=Decisions(authority),
            history=History(
                authority.contracts, directory, engine, http, gateways,
                LogReader.for_institution(institution, clock=clock), clock=clock,
            ),
            templates=templates, http=http, gateways=gateways,
        )  # fmt: skip

    def close(self) -> None:
        """Close the HTTP clients and the database."""
        self.http.close()
        self.gateways.close()
        self.engine.dispose()
