"""The portal's long-lived objects, built once per app from its settings."""

from __future__ import annotations

import functools
import ssl
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
from quancheng.http_bounds import CatalogueEndpoints
from quancheng.identity import Institution
from quancheng.log_reader import LogReader
from quancheng.tls import TlsConfig
from quancheng_portal.core.config import PortalSettings, SettingsError
from quancheng_portal.core.enrollment import EnrollmentCodes
from quancheng_portal.core.enterprises import (
    ENTERPRISE_PREFIX,
    DemoEnterprise,
    DemoOwner,
    load_enterprises,
)
from quancheng_portal.core.people import DemoPerson, load_people
from quancheng_portal.core.ratelimit import FailureLimiter
from quancheng_portal.core.sessions import SessionStore
from quancheng_portal.db import make_engine
from quancheng_portal.services.decisions import Decisions
from quancheng_portal.services.directory import Directory
from quancheng_portal.services.history import History, HistoryLimits
from quancheng_portal.services.invitation_intake import InvitationIntake
from quancheng_portal.services.invitations import OwnerInvitations
from quancheng_portal.services.owners import Owners
from quancheng_portal.services.sign_in import KeySignIn

__all__ = ["PACKAGE_DIR", "Portal", "gateway_tls"]

PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass
class Portal:
    """Everything a request handler needs."""

    settings: PortalSettings
    engine: Engine
    authority: IdentityAuthority
    #: Development's demo identities (empty elsewhere: the settings refuse a list there).
    people: tuple[DemoPerson, ...]
    #: The authority's registration data of enterprises (development: the demo ones).
    enterprises: tuple[DemoEnterprise, ...]
    sessions: SessionStore
    enrollment: EnrollmentCodes
    limiter: FailureLimiter
    sign_in: KeySignIn
    directory: Directory
    owners: Owners
    decisions: Decisions
    history: History
    templates: Jinja2Templates
    http: httpx.Client
    gateways: GatewayClient
    #: Consumers' invitations (``/v1/invitations``) and owners' answers to them.
    intake: InvitationIntake
    invitations: OwnerInvitations

    @property
    def contracts(self) -> ContractSet:
        """The deployment."""
        return self.authority.contracts

    def person(self, key: str | None) -> DemoOwner | None:
        """The demo person, or (development) demo enterprise, with this key."""
        found = next((p for p in self.people if p.key == key), None)
        if found is None and self.settings.demo_identities:
            return next((e for e in self.enterprises if e.key == key), None)
        return found

    def enterprise(self, uscc: str) -> DemoEnterprise | None:
        """The registered enterprise with this USCC, or None (unknown to the registration data)."""
        return next((e for e in self.enterprises if e.uscc == uscc), None)

    def session_enterprise(self, person_key: str | None) -> DemoEnterprise | None:
        """The enterprise a key session acts for (its USCC kept as ``uscc:…``), or None."""
        if not person_key or not person_key.startswith(ENTERPRISE_PREFIX):
            return None
        uscc = person_key.removeprefix(ENTERPRISE_PREFIX)
        return self.enterprise(uscc) or DemoEnterprise("", f"企业 {uscc}", uscc, "（未登记）")

    def enterprise_of(self, pseudonym: bytes) -> DemoEnterprise | None:
        """The registered enterprise with this pseudonym, or None."""
        return self._enterprises_by_pseudonym.get(pseudonym)

    @property
    def enterprise_pseudonyms(self) -> frozenset[bytes]:
        """The pseudonyms of the registered enterprises (a person's sign-in refuses them)."""
        return frozenset(self._enterprises_by_pseudonym)

    @functools.cached_property
    def _enterprises_by_pseudonym(self) -> dict[bytes, DemoEnterprise]:
        return {self.owners.pseudonym_of(e): e for e in self.enterprises}

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
        http, gateways, catalogue = _gateway_clients(settings, authority.contracts)
        directory = Directory(authority.contracts, http)
        templates = Jinja2Templates(directory=PACKAGE_DIR / "templates")
        sessions = SessionStore(engine, settings.session_ttl_s, settings.session_idle_s, clock)
        owners = Owners(authority, engine, clock)
        return cls(
            settings=settings, engine=engine, authority=authority,
            people=load_people(settings.demo_people_file) if settings.demo_identities else (),
            enterprises=load_enterprises(
                settings.enterprises_file, builtin=settings.demo_identities
            ),
            sessions=sessions,
            enrollment=EnrollmentCodes(
                engine, pseudonym_key, settings.enrollment_code_ttl_s, clock
            ),
            limiter=FailureLimiter(
                engine, settings.auth_max_failures, settings.auth_failure_window_s, clock
            ),
            sign_in=KeySignIn(sessions, owners, settings.sign_in_challenge_ttl_s, clock),
            directory=directory, owners=owners,
            decisions=Decisions(authority),
            history=History(
                authority.contracts, directory, engine, http, gateways,
                _reader(institution, settings, clock), clock=clock,
                limits=HistoryLimits(timeout_s=settings.gateway_timeout_s), endpoints=catalogue,
            ),
            templates=templates, http=http, gateways=gateways,
            intake=InvitationIntake(
                authority, directory, engine, clock=clock,
                max_skew_s=settings.max_clock_skew_s,
                per_hour=settings.invitations_per_consumer_per_hour,
                # As gateways: unbound documents only where no client certificate is asked.
                unbound_ok=settings.environment != "production"
                and settings.tls_client_ca_file is None,
            ),
            invitations=OwnerInvitations(
                engine, authority.contracts, directory, clock=clock,
                max_skew_s=settings.max_action_age_s,
            ),
        )  # fmt: skip

    def close(self) -> None:
        """Close the HTTP clients and the database."""
        self.http.close()
        self.gateways.close()
        self.engine.dispose()


def _reader(
    institution: Institution, settings: PortalSettings, clock: Callable[[], float]
) -> LogReader:
    """The authority as a reader of gateways' logs, bound to its TLS client key if it has one."""
    tls = gateway_tls(settings)
    return LogReader.for_institution(
        institution, clock=clock, channel=tls.channel if tls is not None else None
    )


def gateway_tls(settings: PortalSettings) -> TlsConfig | None:
    """TLS to the gateways: the settings' CA bundle, and the identity authority's client
    certificate for mutual TLS; None (the system's CAs, no certificate) when no CA is set.

    Raises:
        SettingsError: A certificate or key without the CA bundle.
        TlsConfigError: A certificate without its key, or the reverse.
    """
    ca = settings.gateway_tls_ca_file
    cert, key = settings.gateway_tls_cert_file, settings.gateway_tls_key_file
    if ca is None:
        if cert is not None or key is not None:
            raise SettingsError(
                "QC_PORTAL_GATEWAY_TLS_CERT_FILE and _KEY_FILE need QC_PORTAL_GATEWAY_TLS_CA_FILE"
            )
        return None
    return TlsConfig(ca, cert, key)


def _gateway_clients(
    settings: PortalSettings, contracts: ContractSet
) -> tuple[httpx.Client, GatewayClient, CatalogueEndpoints]:
    """The clients that read gateways: over TLS, to the catalogue's endpoints only (their
    reads are bounded: :class:`HistoryLimits`, the gateway client's deadline), and the
    catalogue's allow-list they share.

    Raises:
        SettingsError, TlsConfigError: Bad TLS settings or files.
    """
    tls = gateway_tls(settings)
    verify: ssl.SSLContext | bool = tls.ssl_context() if tls is not None else True
    timeout = httpx.Timeout(
        settings.gateway_timeout_s, connect=min(2.0, settings.gateway_timeout_s)
    )
    catalogue = CatalogueEndpoints(contracts)
    http = httpx.Client(
        timeout=timeout, verify=verify, follow_redirects=False,
        headers={"user-agent": "quancheng-portal"},
    )  # fmt: skip
    gateways = GatewayClient(
        timeout=timeout, retry=RetryPolicy(attempts=1), deadline_s=HistoryLimits().deadline_s,
        endpoints=catalogue, tls=tls,
    )  # fmt: skip
    return http, gateways, catalogue
