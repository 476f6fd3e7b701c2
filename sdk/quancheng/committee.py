"""Committee operations: M-of-N votes on membership, and the data catalogue.

The committee (大数据局 and the founding members) admits, suspends, reinstates and removes
institutions and rotates their keys by proposals that pass when enough members vote; it
also registers the resources providers serve. :class:`Committee` carries a proposal
through: the first member proposes (its vote counts) and the others vote until it executes.

Example:
    >>> committee = Committee(chain, [bdb_account, pbc_account])
    >>> committee.admit("jinan.vmo", "济南市车辆管理所", Role.PROVIDER, vmo_address, vmo_key)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_account.signers.local import LocalAccount

from quancheng.chain.client import send_transaction
from quancheng.chain.contracts import ContractSet
from quancheng.chain.records import InstitutionRecord, ResourceRecord
from quancheng.chain.types import Role, code32, purposes_mask
from quancheng.crypto import canonical_json, sm3
from quancheng.errors import ChainError

__all__ = ["Committee", "ProposalNotExecuted", "schema_digest"]


class ProposalNotExecuted(ChainError):
    """Every member given voted, and the proposal still lacks votes."""

    code = "PROPOSAL_NOT_EXECUTED"

    def __init__(self, proposal_id: int, votes: int, threshold: int) -> None:
        self.proposal_id, self.votes, self.threshold = proposal_id, votes, threshold
        super().__init__(
            f"proposal {proposal_id} has {votes} of the {threshold} votes it needs: "
            "vote with more committee members"
        )


def schema_digest(resource_id: str, fields: Sequence[str], indicators: Sequence[str] = ()) -> bytes:
    """SM3 of the canonical schema of a resource, as recorded in the catalogue."""
    return sm3(
        canonical_json(
            {"resource": resource_id, "fields": sorted(fields), "indicators": sorted(indicators)}
        )
    )


class Committee:
    """Committee members acting together on one deployment.

    Args:
        chain: The deployment's contracts.
        members: Chain accounts of ACTIVE committee members; enough of them to reach the
            threshold for proposals to pass.
    """

    def __init__(self, chain: ContractSet, members: Sequence[LocalAccount]) -> None:
        if not members:
            raise ValueError("a committee needs at least one member")
        self.chain = chain
        self.members = list(members)

    def admit(
        self, code: str, name: str, role: Role, account: str, sm2_public_key: bytes
    ) -> InstitutionRecord:
        """Admit an institution with one role, bound to its chain account and SM2 key."""
        registry = self.chain.registry.functions
        self._pass(
            registry.proposeAdmission(code32(code), name, int(role), account, sm2_public_key)
        )
        return self.chain.institution(code32(code))

    def suspend(self, code: str) -> InstitutionRecord:
        """Suspend an institution: its writes and queries are refused until reinstated."""
        self._pass(self.chain.registry.functions.proposeSuspension(code32(code)))
        return self.chain.institution(code32(code))

    def reinstate(self, code: str) -> InstitutionRecord:
        """Reinstate a suspended institution."""
        self._pass(self.chain.registry.functions.proposeReinstatement(code32(code)))
        return self.chain.institution(code32(code))

    def remove(self, code: str) -> InstitutionRecord:
        """Remove an institution for good (its id, account and key stay retired)."""
        self._pass(self.chain.registry.functions.proposeRemoval(code32(code)))
        return self.chain.institution(code32(code))

    def rotate_key(
        self, code: str, *, sm2_public_key: bytes = b"", account: str | None = None
    ) -> InstitutionRecord:
        """Bind a new SM2 key and/or chain account to an institution."""
        new_account = account or "0x0000000000000000000000000000000000000000"
        self._pass(
            self.chain.registry.functions.proposeKeyRotation(
                code32(code), sm2_public_key, new_account
            )
        )
        return self.chain.institution(code32(code))

    def grant_identity_authority(self, code: str) -> InstitutionRecord:
        """Make an ACTIVE institution an identity authority: it alone binds owners' keys."""
        self._pass(self.chain.registry.functions.proposeIdentityAuthority(code32(code), True))
        return self.chain.institution(code32(code))

    def revoke_identity_authority(self, code: str) -> InstitutionRecord:
        """Withdraw an institution's identity authority."""
        self._pass(self.chain.registry.functions.proposeIdentityAuthority(code32(code), False))
        return self.chain.institution(code32(code))

    def register_resource(
        self,
        resource_id: str,
        *,
        provider: str,
        fields: Sequence[str],
        indicators: Sequence[str] = (),
        sensitivity: int,
        purposes: Sequence[int],
        endpoint: str,
    ) -> ResourceRecord:
        """Register a resource in the catalogue (one member's transaction; no vote).

        The catalogue lists both the raw fields and the derived indicators a grant may name.
        """
        names = sorted({*fields, *indicators})
        send_transaction(
            self.chain.w3,
            self.members[0],
            self.chain.catalogue.functions.register(
                code32(resource_id),
                code32(provider),
                [code32(n) for n in names],
                schema_digest(resource_id, fields, indicators),
                sensitivity,
                purposes_mask(*purposes),
                endpoint,
            ),
        )
        return self.chain.resource(code32(resource_id))

    def _pass(self, propose_call: Any) -> int:
        receipt = send_transaction(self.chain.w3, self.members[0], propose_call)
        events = [e for e in self.chain.decode_events(receipt) if e.name == "ProposalCreated"]
        proposal_id = int(events[0].args["proposalId"])
        for member in self.members[1:]:
            if self.chain.proposal(proposal_id).executed:
                break
            send_transaction(self.chain.w3, member, self.chain.registry.functions.vote(proposal_id))
        proposal = self.chain.proposal(proposal_id)
        if not proposal.executed:
            threshold = int(self.chain.registry.functions.threshold().call())
            raise ProposalNotExecuted(proposal_id, len(proposal.voter_ids), threshold)
        return proposal_id
