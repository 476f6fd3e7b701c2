// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {Sm2} from "./crypto/Sm2.sol";

/**
 * @title ConsortiumRegistry
 * @notice Institutions of 泉城链 and the M-of-N committee vote that admits, suspends,
 * reinstates, removes and re-keys them. An ACTIVE institution's account holds the
 * AccessControl role of its Role; membership changes only by vote, so the public
 * grantRole/revokeRole/renounceRole are disabled.
 * @dev Ids, accounts and SM2 keys of REMOVED institutions stay bound, so they can never be
 * reused by another institution; the account and key replaced by a rotation are released.
 */
contract ConsortiumRegistry is AccessControl, IConsortiumRegistry {
    bytes32 public constant PROVIDER_ROLE = keccak256("PROVIDER_ROLE");
    bytes32 public constant CONSUMER_ROLE = keccak256("CONSUMER_ROLE");
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");
    bytes32 public constant COMMITTEE_ROLE = keccak256("COMMITTEE_ROLE");
    /// @notice Held by the institution(s) the committee voted identity authority (real-name checks,
    /// owner key bindings), on top of their membership role, while they are ACTIVE.
    bytes32 public constant IDENTITY_AUTHORITY_ROLE = keccak256("IDENTITY_AUTHORITY_ROLE");

    uint64 private immutable _votingPeriod;

    mapping(bytes32 institutionId => Institution institution) private _institutions;
    mapping(address account => bytes32 institutionId) private _accounts;
    mapping(bytes32 keyHash => bytes32 institutionId) private _keys;
    mapping(uint256 proposalId => Proposal proposal) private _proposals;
    mapping(uint256 proposalId => mapping(bytes32 memberId => bool voted)) private _voted;
    uint256 private _proposalCount;
    uint256 private _threshold;
    uint256 private _committeeSize;
    mapping(bytes32 institutionId => bool authority) private _identityAuthorities;

    /**
     * @param founders The founding committee, admitted ACTIVE with the COMMITTEE role.
     * @param threshold_ Votes a proposal needs (1 ≤ threshold ≤ number of founders).
     * @param votingPeriod_ Seconds a proposal stays open (e.g. 7 days).
     */
    constructor(FoundingMember[] memory founders, uint256 threshold_, uint64 votingPeriod_) {
        if (votingPeriod_ == 0) revert ConsortiumRegistryInvalidVotingPeriod(votingPeriod_);
        _votingPeriod = votingPeriod_;
        for (uint256 i = 0; i < founders.length; ++i) {
            FoundingMember memory f = founders[i];
            _checkAdmission(f.id, f.name, Role.COMMITTEE, f.account, f.sm2PublicKey);
            _admit(f.id, f.name, Role.COMMITTEE, f.account, f.sm2PublicKey, 0);
        }
        _checkThreshold(threshold_, _committeeSize);
        _threshold = threshold_;
        emit ThresholdChanged(0, 0, threshold_);
    }

    // ------------------------------------------------------------------------- proposals

    /// @inheritdoc IConsortiumRegistry
    function proposeAdmission(
        bytes32 institutionId,
        string calldata name,
        Role role,
        address account,
        bytes calldata sm2PublicKey
    ) external returns (uint256 proposalId) {
        bytes32 proposerId = _requireCommittee(msg.sender);
        _checkAdmission(institutionId, name, role, account, sm2PublicKey);
        Proposal storage p = _newProposal(ProposalAction.ADMIT, institutionId, proposerId);
        p.name = name;
        p.role = role;
        p.account = account;
        p.sm2PublicKey = sm2PublicKey;
        return _openProposal(p);
    }

    /// @inheritdoc IConsortiumRegistry
    function proposeSuspension(bytes32 institutionId) external returns (uint256 proposalId) {
        bytes32 proposerId = _requireCommittee(msg.sender);
        _checkSuspension(institutionId);
        return _openProposal(_newProposal(ProposalAction.SUSPEND, institutionId, proposerId));
    }

    /// @inheritdoc IConsortiumRegistry
    function proposeReinstatement(bytes32 institutionId) external returns (uint256 proposalId) {
        bytes32 proposerId = _requireCommittee(msg.sender);
        _checkReinstatement(institutionId);
        return _openProposal(_newProposal(ProposalAction.REINSTATE, institutionId, proposerId));
    }

    /// @inheritdoc IConsortiumRegistry
    function proposeRemoval(bytes32 institutionId) external returns (uint256 proposalId) {
        bytes32 proposerId = _requireCommittee(msg.sender);
        _checkRemoval(institutionId);
        return _openProposal(_newProposal(ProposalAction.REMOVE, institutionId, proposerId));
    }

    /// @inheritdoc IConsortiumRegistry
    function proposeKeyRotation(bytes32 institutionId, bytes calldata newSm2PublicKey, address newAccount)
        external
        returns (uint256 proposalId)
    {
        bytes32 proposerId = _requireCommittee(msg.sender);
        _checkRotation(institutionId, newSm2PublicKey, newAccount);
        Proposal storage p = _newProposal(ProposalAction.ROTATE_KEY, institutionId, proposerId);
        p.account = newAccount;
        p.sm2PublicKey = newSm2PublicKey;
        return _openProposal(p);
    }

    /// @inheritdoc IConsortiumRegistry
    function proposeThreshold(uint256 newThreshold) external returns (uint256 proposalId) {
        bytes32 proposerId = _requireCommittee(msg.sender);
        _checkThreshold(newThreshold, _committeeSize);
        Proposal storage p = _newProposal(ProposalAction.SET_THRESHOLD, bytes32(0), proposerId);
        p.threshold = newThreshold;
        return _openProposal(p);
    }

    /// @inheritdoc IConsortiumRegistry
    function proposeIdentityAuthority(bytes32 institutionId, bool grant) external returns (uint256 proposalId) {
        bytes32 proposerId = _requireCommittee(msg.sender);
        ProposalAction action = grant ? ProposalAction.GRANT_IDENTITY_AUTHORITY : ProposalAction.REVOKE_IDENTITY_AUTHORITY;
        _checkIdentityAuthorityChange(institutionId, grant);
        return _openProposal(_newProposal(action, institutionId, proposerId));
    }

    /// @inheritdoc IConsortiumRegistry
    function vote(uint256 proposalId) external {
        bytes32 memberId = _requireCommittee(msg.sender);
        Proposal storage p = _openProposalAt(proposalId);
        if (_voted[proposalId][memberId]) revert ConsortiumRegistryAlreadyVoted(proposalId, memberId);
        _recordVote(p, memberId);
    }

    /// @inheritdoc IConsortiumRegistry
    function execute(uint256 proposalId) external {
        _requireCommittee(msg.sender);
        Proposal storage p = _openProposalAt(proposalId);
        uint256 votes = _validVotes(p);
        if (votes < _threshold) revert ConsortiumRegistryNotEnoughVotes(proposalId, votes, _threshold);
        _execute(p);
    }

    // ----------------------------------------------------------------------------- views

    /// @inheritdoc IConsortiumRegistry
    function getInstitution(bytes32 institutionId) external view returns (Institution memory) {
        return _institutions[institutionId];
    }

    /// @inheritdoc IConsortiumRegistry
    function institutionOf(address account) external view returns (bytes32) {
        return _accounts[account];
    }

    /// @inheritdoc IConsortiumRegistry
    function isActiveMember(address account, Role role) external view returns (bool) {
        Institution storage inst = _institutions[_accounts[account]];
        return role != Role.NONE && inst.role == role && inst.status == InstitutionStatus.ACTIVE;
    }

    /// @inheritdoc IConsortiumRegistry
    function requireActive(address account, Role role) public view returns (bytes32 institutionId) {
        institutionId = _accounts[account];
        if (institutionId == bytes32(0)) revert ConsortiumRegistryUnknownAccount(account);
        Institution storage inst = _institutions[institutionId];
        if (inst.role != role) revert ConsortiumRegistryWrongRole(institutionId, role, inst.role);
        if (inst.status != InstitutionStatus.ACTIVE) {
            revert ConsortiumRegistryInstitutionNotActive(institutionId, inst.status);
        }
    }

    /// @inheritdoc IConsortiumRegistry
    function requireIdentityAuthority(address account) external view returns (bytes32 institutionId) {
        institutionId = _accounts[account];
        if (institutionId == bytes32(0)) revert ConsortiumRegistryUnknownAccount(account);
        Institution storage inst = _institutions[institutionId];
        if (!_identityAuthorities[institutionId]) revert ConsortiumRegistryNotIdentityAuthority(institutionId);
        if (inst.status != InstitutionStatus.ACTIVE) {
            revert ConsortiumRegistryInstitutionNotActive(institutionId, inst.status);
        }
    }

    /// @inheritdoc IConsortiumRegistry
    function isIdentityAuthority(bytes32 institutionId) external view returns (bool) {
        return _identityAuthorities[institutionId]
            && _institutions[institutionId].status == InstitutionStatus.ACTIVE;
    }

    /// @inheritdoc IConsortiumRegistry
    function requireMember(address account) external view returns (bytes32 institutionId) {
        institutionId = _accounts[account];
        if (institutionId == bytes32(0)) revert ConsortiumRegistryUnknownAccount(account);
        InstitutionStatus status = _institutions[institutionId].status;
        if (status != InstitutionStatus.ACTIVE) revert ConsortiumRegistryInstitutionNotActive(institutionId, status);
    }

    /// @inheritdoc IConsortiumRegistry
    function accessRoleOf(Role role) public pure returns (bytes32) {
        if (role == Role.PROVIDER) return PROVIDER_ROLE;
        if (role == Role.CONSUMER) return CONSUMER_ROLE;
        if (role == Role.AUDITOR) return AUDITOR_ROLE;
        if (role == Role.COMMITTEE) return COMMITTEE_ROLE;
        return bytes32(0);
    }

    /// @inheritdoc IConsortiumRegistry
    function committeeSize() external view returns (uint256) {
        return _committeeSize;
    }

    /// @inheritdoc IConsortiumRegistry
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IConsortiumRegistry
    function votingPeriod() external view returns (uint64) {
        return _votingPeriod;
    }

    /// @inheritdoc IConsortiumRegistry
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IConsortiumRegistry
    function getProposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposalAt(proposalId);
    }

    /// @inheritdoc IConsortiumRegistry
    function proposalStatus(uint256 proposalId) external view returns (ProposalStatus) {
        Proposal storage p = _proposals[proposalId];
        if (p.id == 0) return ProposalStatus.NONE;
        if (p.executed) return ProposalStatus.EXECUTED;
        if (block.timestamp > p.expiresAt) return ProposalStatus.EXPIRED;
        return ProposalStatus.OPEN;
    }

    /// @inheritdoc IConsortiumRegistry
    function validVotes(uint256 proposalId) external view returns (uint256) {
        return _validVotes(_proposalAt(proposalId));
    }

    /// @inheritdoc IConsortiumRegistry
    function hasVoted(uint256 proposalId, bytes32 memberId) external view returns (bool) {
        return _voted[proposalId][memberId];
    }

    /// @inheritdoc IConsortiumRegistry
    function version() external pure returns (string memory) {
        return "0.2.0";
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IConsortiumRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    // ------------------------------------------------- AccessControl: roles follow votes

    /// @notice Disabled: roles are granted by admission votes only.
    function grantRole(bytes32 role, address account) public pure override(AccessControl, IAccessControl) {
        revert ConsortiumRegistryRoleManagedByVote(role, account);
    }

    /// @notice Disabled: roles are revoked by suspension or removal votes only.
    function revokeRole(bytes32 role, address account) public pure override(AccessControl, IAccessControl) {
        revert ConsortiumRegistryRoleManagedByVote(role, account);
    }

    /// @notice Disabled: an institution leaves by a removal vote.
    function renounceRole(bytes32 role, address account) public pure override(AccessControl, IAccessControl) {
        revert ConsortiumRegistryRoleManagedByVote(role, account);
    }

    // ------------------------------------------------------------------- proposal engine

    function _newProposal(ProposalAction action, bytes32 institutionId, bytes32 proposerId)
        private
        returns (Proposal storage p)
    {
        uint256 proposalId = ++_proposalCount;
        p = _proposals[proposalId];
        p.id = proposalId;
        p.action = action;
        p.institutionId = institutionId;
        p.proposerId = proposerId;
        p.createdAt = uint64(block.timestamp);
        p.expiresAt = uint64(block.timestamp) + _votingPeriod;
    }

    function _openProposal(Proposal storage p) private returns (uint256) {
        emit ProposalCreated(p.id, p.action, p.institutionId, p.proposerId, p.expiresAt);
        _recordVote(p, p.proposerId);
        return p.id;
    }

    function _recordVote(Proposal storage p, bytes32 memberId) private {
        _voted[p.id][memberId] = true;
        p.voterIds.push(memberId);
        uint256 votes = _validVotes(p);
        emit ProposalVoted(p.id, memberId, votes);
        if (votes >= _threshold) _execute(p);
    }

    /// @dev Re-checks the change against the current state: it may have become invalid since.
    function _execute(Proposal storage p) private {
        ProposalAction action = p.action;
        bytes32 id = p.institutionId;
        if (action == ProposalAction.ADMIT) {
            _checkAdmission(id, p.name, p.role, p.account, p.sm2PublicKey);
        } else if (action == ProposalAction.SUSPEND) {
            _checkSuspension(id);
        } else if (action == ProposalAction.REINSTATE) {
            _checkReinstatement(id);
        } else if (action == ProposalAction.REMOVE) {
            _checkRemoval(id);
        } else if (action == ProposalAction.ROTATE_KEY) {
            _checkRotation(id, p.sm2PublicKey, p.account);
        } else if (action == ProposalAction.GRANT_IDENTITY_AUTHORITY) {
            _checkIdentityAuthorityChange(id, true);
        } else if (action == ProposalAction.REVOKE_IDENTITY_AUTHORITY) {
            _checkIdentityAuthorityChange(id, false);
        } else {
            _checkThreshold(p.threshold, _committeeSize);
        }
        p.executed = true;
        if (action == ProposalAction.ADMIT) {
            _admit(id, p.name, p.role, p.account, p.sm2PublicKey, p.id);
        } else if (action == ProposalAction.SUSPEND) {
            _suspend(id, p.id);
        } else if (action == ProposalAction.REINSTATE) {
            _reinstate(id, p.id);
        } else if (action == ProposalAction.REMOVE) {
            _remove(id, p.id);
        } else if (action == ProposalAction.ROTATE_KEY) {
            _rotate(id, p.sm2PublicKey, p.account, p.id);
        } else if (action == ProposalAction.GRANT_IDENTITY_AUTHORITY) {
            _setIdentityAuthority(id, true, p.id);
        } else if (action == ProposalAction.REVOKE_IDENTITY_AUTHORITY) {
            _setIdentityAuthority(id, false, p.id);
        } else {
            uint256 old = _threshold;
            _threshold = p.threshold;
            emit ThresholdChanged(p.id, old, p.threshold);
        }
        emit ProposalExecuted(p.id, action, id);
    }

    function _validVotes(Proposal storage p) private view returns (uint256 votes) {
        uint256 n = p.voterIds.length;
        for (uint256 i = 0; i < n; ++i) {
            if (_isActiveCommittee(p.voterIds[i])) ++votes;
        }
    }

    function _proposalAt(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.id == 0) revert ConsortiumRegistryUnknownProposal(proposalId);
    }

    function _openProposalAt(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposalAt(proposalId);
        if (p.executed) revert ConsortiumRegistryProposalAlreadyExecuted(proposalId);
        if (block.timestamp > p.expiresAt) revert ConsortiumRegistryProposalExpired(proposalId, p.expiresAt);
    }

    // ------------------------------------------------------------------ state transitions

    function _admit(
        bytes32 id,
        string memory name,
        Role role,
        address account,
        bytes memory key,
        uint256 proposalId
    ) private {
        Institution storage inst = _institutions[id];
        inst.id = id;
        inst.name = name;
        inst.role = role;
        inst.account = account;
        inst.sm2PublicKey = key;
        inst.status = InstitutionStatus.ACTIVE;
        inst.admittedAt = uint64(block.timestamp);
        inst.updatedAt = uint64(block.timestamp);
        _accounts[account] = id;
        _keys[keccak256(key)] = id;
        if (role == Role.COMMITTEE) ++_committeeSize;
        _grantRole(accessRoleOf(role), account);
        emit InstitutionAdmitted(id, account, proposalId, role, name, key);
    }

    function _suspend(bytes32 id, uint256 proposalId) private {
        Institution storage inst = _institutions[id];
        inst.status = InstitutionStatus.SUSPENDED;
        inst.updatedAt = uint64(block.timestamp);
        if (inst.role == Role.COMMITTEE) --_committeeSize;
        _revokeRole(accessRoleOf(inst.role), inst.account);
        _revokeRole(IDENTITY_AUTHORITY_ROLE, inst.account);
        emit InstitutionSuspended(id, proposalId);
    }

    function _reinstate(bytes32 id, uint256 proposalId) private {
        Institution storage inst = _institutions[id];
        inst.status = InstitutionStatus.ACTIVE;
        inst.updatedAt = uint64(block.timestamp);
        if (inst.role == Role.COMMITTEE) ++_committeeSize;
        _grantRole(accessRoleOf(inst.role), inst.account);
        if (_identityAuthorities[id]) _grantRole(IDENTITY_AUTHORITY_ROLE, inst.account);
        emit InstitutionReinstated(id, proposalId);
    }

    function _remove(bytes32 id, uint256 proposalId) private {
        Institution storage inst = _institutions[id];
        bool wasActive = inst.status == InstitutionStatus.ACTIVE;
        inst.status = InstitutionStatus.REMOVED;
        inst.updatedAt = uint64(block.timestamp);
        if (wasActive) {
            if (inst.role == Role.COMMITTEE) --_committeeSize;
            _revokeRole(accessRoleOf(inst.role), inst.account);
            _revokeRole(IDENTITY_AUTHORITY_ROLE, inst.account);
        }
        _identityAuthorities[id] = false;
        emit InstitutionRemoved(id, proposalId);
    }

    function _rotate(bytes32 id, bytes memory newKey, address newAccount, uint256 proposalId) private {
        Institution storage inst = _institutions[id];
        address oldAccount = inst.account;
        bytes memory oldKey = inst.sm2PublicKey;
        if (newKey.length != 0) {
            delete _keys[keccak256(oldKey)];
            _keys[keccak256(newKey)] = id;
            inst.sm2PublicKey = newKey;
        }
        if (newAccount != address(0)) {
            delete _accounts[oldAccount];
            _accounts[newAccount] = id;
            inst.account = newAccount;
            if (inst.status == InstitutionStatus.ACTIVE) {
                bytes32 accessRole = accessRoleOf(inst.role);
                _revokeRole(accessRole, oldAccount);
                _grantRole(accessRole, newAccount);
                if (_identityAuthorities[id]) {
                    _revokeRole(IDENTITY_AUTHORITY_ROLE, oldAccount);
                    _grantRole(IDENTITY_AUTHORITY_ROLE, newAccount);
                }
            }
        }
        inst.updatedAt = uint64(block.timestamp);
        emit InstitutionKeyRotated(id, proposalId, oldAccount, inst.account, oldKey, inst.sm2PublicKey);
    }

    function _setIdentityAuthority(bytes32 id, bool grant, uint256 proposalId) private {
        Institution storage inst = _institutions[id];
        _identityAuthorities[id] = grant;
        inst.updatedAt = uint64(block.timestamp);
        if (grant) {
            _grantRole(IDENTITY_AUTHORITY_ROLE, inst.account);
            emit IdentityAuthorityGranted(id, proposalId);
        } else {
            _revokeRole(IDENTITY_AUTHORITY_ROLE, inst.account);
            emit IdentityAuthorityRevoked(id, proposalId);
        }
    }

    // ----------------------------------------------------------------------------- checks

    /// @dev Granting needs an ACTIVE institution without the authority; revoking one that has it.
    function _checkIdentityAuthorityChange(bytes32 id, bool grant) private view {
        Institution storage inst = _checkChangeable(id);
        bool holds = _identityAuthorities[id];
        if (grant) {
            if (inst.status != InstitutionStatus.ACTIVE) revert ConsortiumRegistryInstitutionNotActive(id, inst.status);
            if (holds) revert ConsortiumRegistryAlreadyIdentityAuthority(id);
        } else if (!holds) {
            revert ConsortiumRegistryNotIdentityAuthority(id);
        }
    }

    function _requireCommittee(address account) private view returns (bytes32) {
        return requireActive(account, Role.COMMITTEE);
    }

    function _isActiveCommittee(bytes32 id) private view returns (bool) {
        Institution storage inst = _institutions[id];
        return inst.role == Role.COMMITTEE && inst.status == InstitutionStatus.ACTIVE;
    }

    function _checkAdmission(bytes32 id, string memory name, Role role, address account, bytes memory key)
        private
        view
    {
        if (id == bytes32(0)) revert ConsortiumRegistryInvalidInstitutionId(id);
        if (_institutions[id].status != InstitutionStatus.NONE) revert ConsortiumRegistryInstitutionExists(id);
        if (bytes(name).length == 0) revert ConsortiumRegistryEmptyName(id);
        if (role == Role.NONE) revert ConsortiumRegistryInvalidRole(id, role);
        _checkFreeAccount(account);
        _checkFreeKey(key);
    }

    function _checkFreeAccount(address account) private view {
        if (account == address(0)) revert ConsortiumRegistryInvalidAccount(account);
        bytes32 bound = _accounts[account];
        if (bound != bytes32(0)) revert ConsortiumRegistryAccountBound(account, bound);
    }

    function _checkFreeKey(bytes memory key) private view {
        (bool onCurve,,) = Sm2.parsePublicKey(key);
        if (!onCurve) revert ConsortiumRegistryInvalidSm2PublicKey(key);
        bytes32 bound = _keys[keccak256(key)];
        if (bound != bytes32(0)) revert ConsortiumRegistrySm2KeyBound(key, bound);
    }

    /// @dev Reverts unless the institution exists and is not REMOVED; returns it.
    function _checkChangeable(bytes32 id) private view returns (Institution storage inst) {
        inst = _institutions[id];
        if (inst.status == InstitutionStatus.NONE) revert ConsortiumRegistryUnknownInstitution(id);
        if (inst.status == InstitutionStatus.REMOVED) revert ConsortiumRegistryInstitutionRemoved(id);
    }

    function _checkSuspension(bytes32 id) private view {
        Institution storage inst = _checkChangeable(id);
        if (inst.status == InstitutionStatus.SUSPENDED) revert ConsortiumRegistryAlreadySuspended(id);
        _checkCommitteeCanLose(inst);
    }

    function _checkReinstatement(bytes32 id) private view {
        Institution storage inst = _checkChangeable(id);
        if (inst.status != InstitutionStatus.SUSPENDED) revert ConsortiumRegistryNotSuspended(id, inst.status);
    }

    function _checkRemoval(bytes32 id) private view {
        Institution storage inst = _checkChangeable(id);
        if (inst.status == InstitutionStatus.ACTIVE) _checkCommitteeCanLose(inst);
    }

    function _checkRotation(bytes32 id, bytes memory newKey, address newAccount) private view {
        _checkChangeable(id);
        if (newKey.length == 0 && newAccount == address(0)) revert ConsortiumRegistryNothingToRotate(id);
        if (newKey.length != 0) _checkFreeKey(newKey);
        if (newAccount != address(0)) _checkFreeAccount(newAccount);
    }

    /// @dev The committee must keep at least `threshold` ACTIVE members, or it could never vote again.
    function _checkCommitteeCanLose(Institution storage inst) private view {
        if (inst.role == Role.COMMITTEE) _checkThreshold(_threshold, _committeeSize - 1);
    }

    function _checkThreshold(uint256 threshold_, uint256 size) private pure {
        if (threshold_ == 0 || threshold_ > size) revert ConsortiumRegistryThresholdOutOfRange(threshold_, size);
    }
}
