// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/**
 * @title IConsortiumRegistry
 * @notice The members of 泉城链: institutions, their role, chain account and SM2 identity key,
 * and the M-of-N committee vote through which every membership change passes.
 *
 * Every other contract asks this registry before it accepts a write (`requireActive`), so the
 * chain is permissioned at the contract level as well as at the node level.
 *
 * Identifiers are short ASCII codes packed left-aligned into `bytes32` (for example
 * `bytes32("jinan.bdb")`), so that they stay readable on chain.
 *
 * Trust model for SM2: the registry binds an institution's 65-byte uncompressed SM2 public key
 * (0x04 ‖ x ‖ y, checked to lie on the curve) to its chain account; the binding itself is
 * authenticated by the committee vote (secp256k1 transactions). The grant and owner registries
 * verify SM2 signatures on chain against these keys (consumers' grant requests, identity
 * authorities' attestations); receipts, anchors and query requests are verified off chain by
 * gateways, consumers and auditors against the key this registry held at the time.
 *
 * The identity authority is not a membership role but an authority the committee votes on top
 * of one (proposeIdentityAuthority): only its holders may bind owners' keys.
 */
interface IConsortiumRegistry is IAccessControl {
    /// @notice What an institution does in the consortium.
    enum Role {
        NONE,
        PROVIDER,
        CONSUMER,
        AUDITOR,
        COMMITTEE
    }

    /// @notice Lifecycle of an institution. REMOVED is terminal.
    enum InstitutionStatus {
        NONE,
        ACTIVE,
        SUSPENDED,
        REMOVED
    }

    /// @notice The change a committee proposal makes when it passes.
    enum ProposalAction {
        NONE,
        ADMIT,
        SUSPEND,
        REINSTATE,
        REMOVE,
        ROTATE_KEY,
        SET_THRESHOLD,
        GRANT_IDENTITY_AUTHORITY,
        REVOKE_IDENTITY_AUTHORITY
    }

    /// @notice Lifecycle of a proposal. EXPIRED is derived from the clock, never stored.
    enum ProposalStatus {
        NONE,
        OPEN,
        EXECUTED,
        EXPIRED
    }

    /// @notice A member institution of the consortium.
    struct Institution {
        /// @dev Short ASCII code, left-aligned (e.g. bytes32("jinan.vmo")); never zero.
        bytes32 id;
        /// @dev Display name of the institution (e.g. "济南市车管所").
        string name;
        /// @dev The one role the institution holds.
        Role role;
        /// @dev Chain account that signs the institution's transactions.
        address account;
        /// @dev Uncompressed SM2 public key, 65 bytes starting 0x04, for off-chain signatures.
        bytes sm2PublicKey;
        /// @dev Current status; only ACTIVE institutions hold their AccessControl role.
        InstitutionStatus status;
        /// @dev Block time of admission.
        uint64 admittedAt;
        /// @dev Block time of the last change (status, key or account).
        uint64 updatedAt;
    }

    /// @notice A founding committee member, admitted by the constructor without a vote.
    struct FoundingMember {
        /// @dev Institution code, left-aligned ASCII.
        bytes32 id;
        /// @dev Display name.
        string name;
        /// @dev Chain account.
        address account;
        /// @dev Uncompressed SM2 public key (65 bytes, 0x04 prefix).
        bytes sm2PublicKey;
    }

    /// @notice A committee proposal and its typed payload.
    struct Proposal {
        /// @dev Sequential id, starting at 1.
        uint256 id;
        /// @dev What the proposal does when it passes.
        ProposalAction action;
        /// @dev The institution concerned (zero for SET_THRESHOLD).
        bytes32 institutionId;
        /// @dev ADMIT: display name of the new institution.
        string name;
        /// @dev ADMIT: role of the new institution.
        Role role;
        /// @dev ADMIT: its account; ROTATE_KEY: the new account, or zero to keep the current one.
        address account;
        /// @dev ADMIT: its SM2 key; ROTATE_KEY: the new SM2 key, or empty to keep the current one.
        bytes sm2PublicKey;
        /// @dev SET_THRESHOLD: the new number of votes a proposal needs.
        uint256 threshold;
        /// @dev Committee member that proposed it (its vote is the first one).
        bytes32 proposerId;
        /// @dev Committee members that voted for it, in order.
        bytes32[] voterIds;
        /// @dev Block time of creation.
        uint64 createdAt;
        /// @dev Last block time at which it can still be voted on or executed.
        uint64 expiresAt;
        /// @dev True once executed; executed proposals can no longer be voted on.
        bool executed;
    }

    // ----------------------------------------------------------------------------- events

    /// @notice A committee member proposed a change.
    event ProposalCreated(
        uint256 indexed proposalId,
        ProposalAction indexed action,
        bytes32 indexed institutionId,
        bytes32 proposerId,
        uint64 expiresAt
    );

    /// @notice A committee member voted for a proposal; `votes` counts the valid votes so far.
    event ProposalVoted(uint256 indexed proposalId, bytes32 indexed voterId, uint256 votes);

    /// @notice A proposal reached the threshold and its change was applied.
    event ProposalExecuted(
        uint256 indexed proposalId, ProposalAction indexed action, bytes32 indexed institutionId
    );

    /// @notice An institution was admitted (proposal 0: founding member, admitted by the constructor).
    event InstitutionAdmitted(
        bytes32 indexed institutionId,
        address indexed account,
        uint256 indexed proposalId,
        Role role,
        string name,
        bytes sm2PublicKey
    );

    /// @notice An institution was suspended: it lost its role until reinstated.
    event InstitutionSuspended(bytes32 indexed institutionId, uint256 indexed proposalId);

    /// @notice A suspended institution was reinstated and holds its role again.
    event InstitutionReinstated(bytes32 indexed institutionId, uint256 indexed proposalId);

    /// @notice An institution was removed for good; its id, account and key stay retired.
    event InstitutionRemoved(bytes32 indexed institutionId, uint256 indexed proposalId);

    /// @notice An institution's SM2 key and/or chain account changed.
    event InstitutionKeyRotated(
        bytes32 indexed institutionId,
        uint256 indexed proposalId,
        address oldAccount,
        address newAccount,
        bytes oldSm2PublicKey,
        bytes newSm2PublicKey
    );

    /// @notice The number of votes a proposal needs changed.
    event ThresholdChanged(uint256 indexed proposalId, uint256 oldThreshold, uint256 newThreshold);

    /// @notice The committee made the institution an identity authority (it alone binds owner keys).
    event IdentityAuthorityGranted(bytes32 indexed institutionId, uint256 indexed proposalId);

    /// @notice The committee withdrew the institution's identity authority.
    event IdentityAuthorityRevoked(bytes32 indexed institutionId, uint256 indexed proposalId);

    // ----------------------------------------------------------------------------- errors

    /// @notice AccessControl's grantRole/revokeRole/renounceRole are disabled: roles follow votes.
    error ConsortiumRegistryRoleManagedByVote(bytes32 role, address account);
    /// @notice The account is bound to no institution.
    error ConsortiumRegistryUnknownAccount(address account);
    /// @notice The institution does not hold the role the operation requires.
    error ConsortiumRegistryWrongRole(bytes32 institutionId, Role required, Role actual);
    /// @notice The institution is not ACTIVE.
    error ConsortiumRegistryInstitutionNotActive(bytes32 institutionId, InstitutionStatus status);
    /// @notice No institution has this id.
    error ConsortiumRegistryUnknownInstitution(bytes32 institutionId);
    /// @notice An institution with this id exists already (whatever its status).
    error ConsortiumRegistryInstitutionExists(bytes32 institutionId);
    /// @notice The id is zero.
    error ConsortiumRegistryInvalidInstitutionId(bytes32 institutionId);
    /// @notice The name is empty.
    error ConsortiumRegistryEmptyName(bytes32 institutionId);
    /// @notice The role is NONE.
    error ConsortiumRegistryInvalidRole(bytes32 institutionId, Role role);
    /// @notice The account is the zero address.
    error ConsortiumRegistryInvalidAccount(address account);
    /// @notice The account is bound to another institution (current or retired).
    error ConsortiumRegistryAccountBound(address account, bytes32 institutionId);
    /// @notice The key is not 65 bytes 0x04 ‖ x ‖ y of a point on the SM2 curve.
    error ConsortiumRegistryInvalidSm2PublicKey(bytes sm2PublicKey);
    /// @notice The SM2 key is bound to another institution (current or retired).
    error ConsortiumRegistrySm2KeyBound(bytes sm2PublicKey, bytes32 institutionId);
    /// @notice Suspension of an institution that is already suspended.
    error ConsortiumRegistryAlreadySuspended(bytes32 institutionId);
    /// @notice Reinstatement of an institution that is not suspended.
    error ConsortiumRegistryNotSuspended(bytes32 institutionId, InstitutionStatus status);
    /// @notice Any change to a REMOVED institution.
    error ConsortiumRegistryInstitutionRemoved(bytes32 institutionId);
    /// @notice A key rotation that changes neither the key nor the account.
    error ConsortiumRegistryNothingToRotate(bytes32 institutionId);
    /// @notice A threshold of zero, or above the number of ACTIVE committee members.
    error ConsortiumRegistryThresholdOutOfRange(uint256 threshold, uint256 committeeSize);
    /// @notice A voting period of zero.
    error ConsortiumRegistryInvalidVotingPeriod(uint64 votingPeriod);
    /// @notice No proposal has this id.
    error ConsortiumRegistryUnknownProposal(uint256 proposalId);
    /// @notice The proposal was already executed.
    error ConsortiumRegistryProposalAlreadyExecuted(uint256 proposalId);
    /// @notice The proposal's voting period is over.
    error ConsortiumRegistryProposalExpired(uint256 proposalId, uint64 expiresAt);
    /// @notice The committee member already voted for this proposal.
    error ConsortiumRegistryAlreadyVoted(uint256 proposalId, bytes32 memberId);
    /// @notice execute() on a proposal that does not have enough valid votes.
    error ConsortiumRegistryNotEnoughVotes(uint256 proposalId, uint256 votes, uint256 threshold);
    /// @notice The institution is not (or no longer) an identity authority.
    error ConsortiumRegistryNotIdentityAuthority(bytes32 institutionId);
    /// @notice The institution is an identity authority already.
    error ConsortiumRegistryAlreadyIdentityAuthority(bytes32 institutionId);

    // ------------------------------------------------------------------------- proposals

    /**
     * @notice Propose to admit an institution (ACTIVE COMMITTEE members only).
     * @dev The proposer's vote counts; with a threshold of 1 the admission happens at once.
     * @return proposalId The new proposal's id.
     */
    function proposeAdmission(
        bytes32 institutionId,
        string calldata name,
        Role role,
        address account,
        bytes calldata sm2PublicKey
    ) external returns (uint256 proposalId);

    /// @notice Propose to suspend an ACTIVE institution (it loses its role until reinstated).
    function proposeSuspension(bytes32 institutionId) external returns (uint256 proposalId);

    /// @notice Propose to reinstate a SUSPENDED institution.
    function proposeReinstatement(bytes32 institutionId) external returns (uint256 proposalId);

    /// @notice Propose to remove an ACTIVE or SUSPENDED institution for good.
    function proposeRemoval(bytes32 institutionId) external returns (uint256 proposalId);

    /**
     * @notice Propose to rotate an institution's SM2 key and/or chain account.
     * @param newSm2PublicKey The new key, or empty to keep the current one.
     * @param newAccount The new account, or the zero address to keep the current one.
     */
    function proposeKeyRotation(bytes32 institutionId, bytes calldata newSm2PublicKey, address newAccount)
        external
        returns (uint256 proposalId);

    /// @notice Propose a new threshold (1 ≤ threshold ≤ ACTIVE committee size).
    function proposeThreshold(uint256 newThreshold) external returns (uint256 proposalId);

    /**
     * @notice Propose to make an ACTIVE institution an identity authority (`grant`), or to withdraw
     * that authority (ACTIVE COMMITTEE members only). Only identity authorities attest, re-bind
     * and revoke owners' keys in the owner registry; no single committee member can.
     */
    function proposeIdentityAuthority(bytes32 institutionId, bool grant) external returns (uint256 proposalId);

    /**
     * @notice Vote for a proposal (ACTIVE COMMITTEE members only, once each).
     * @dev Executes the proposal when its valid votes reach the threshold in force at that moment.
     * Votes of members that are no longer ACTIVE COMMITTEE members are not counted.
     */
    function vote(uint256 proposalId) external;

    /**
     * @notice Execute a proposal whose valid votes reach the current threshold (e.g. after the
     * threshold was lowered). ACTIVE COMMITTEE members only.
     */
    function execute(uint256 proposalId) external;

    // ----------------------------------------------------------------------------- views

    /// @notice The institution with this id (all fields zero, status NONE, if unknown).
    function getInstitution(bytes32 institutionId) external view returns (Institution memory);

    /// @notice The id of the institution bound to `account` (zero if none).
    function institutionOf(address account) external view returns (bytes32 institutionId);

    /// @notice True when `account` belongs to an ACTIVE institution holding `role`.
    function isActiveMember(address account, Role role) external view returns (bool);

    /**
     * @notice The id of the ACTIVE institution of `account` holding `role`; reverts otherwise with
     * ConsortiumRegistryUnknownAccount, ConsortiumRegistryWrongRole or
     * ConsortiumRegistryInstitutionNotActive. Other contracts call it before every write.
     */
    function requireActive(address account, Role role) external view returns (bytes32 institutionId);

    /// @notice The AccessControl role that corresponds to `role` (zero for NONE).
    function accessRoleOf(Role role) external pure returns (bytes32);

    /**
     * @notice The institution id of `account`, if it is an ACTIVE identity authority; reverts
     * ConsortiumRegistryUnknownAccount, ConsortiumRegistryNotIdentityAuthority or
     * ConsortiumRegistryInstitutionNotActive otherwise.
     */
    function requireIdentityAuthority(address account) external view returns (bytes32 institutionId);

    /// @notice True when the institution holds the identity authority and is ACTIVE.
    function isIdentityAuthority(bytes32 institutionId) external view returns (bool);

    /**
     * @notice The institution id of `account` if it is an ACTIVE member of any role; reverts
     * ConsortiumRegistryUnknownAccount or ConsortiumRegistryInstitutionNotActive otherwise.
     * @dev Used where relaying confers no power (owner decisions verified on chain).
     */
    function requireMember(address account) external view returns (bytes32 institutionId);

    /// @notice Number of ACTIVE COMMITTEE members.
    function committeeSize() external view returns (uint256);

    /// @notice Number of valid votes a proposal needs.
    function threshold() external view returns (uint256);

    /// @notice How long a proposal stays open, in seconds.
    function votingPeriod() external view returns (uint64);

    /// @notice Number of proposals created so far (ids run from 1 to this number).
    function proposalCount() external view returns (uint256);

    /// @notice The proposal with this id; reverts with ConsortiumRegistryUnknownProposal if none.
    function getProposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice OPEN, EXECUTED or EXPIRED (derived from the block time); NONE if unknown.
    function proposalStatus(uint256 proposalId) external view returns (ProposalStatus);

    /// @notice Votes of members that are ACTIVE COMMITTEE members now.
    function validVotes(uint256 proposalId) external view returns (uint256);

    /// @notice True when committee member `memberId` voted for the proposal.
    function hasVoted(uint256 proposalId, bytes32 memberId) external view returns (bool);

    /// @notice The interface version of this contract.
    function version() external pure returns (string memory);
}
