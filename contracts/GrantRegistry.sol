// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IDataCatalogue} from "./interfaces/IDataCatalogue.sol";
import {IGrantRegistry} from "./interfaces/IGrantRegistry.sol";
import {IOwnerRegistry} from "./interfaces/IOwnerRegistry.sol";

/**
 * @title GrantRegistry
 * @notice Owners' grants: requested by consumers, decided by owners (relayed by the identity
 * authority), used under the providers' counters.
 */
contract GrantRegistry is IGrantRegistry {
    IConsortiumRegistry private immutable _registry;
    IDataCatalogue private immutable _catalogue;
    IOwnerRegistry private immutable _owners;

    mapping(bytes32 grantId => Grant grant) private _grants;
    mapping(bytes32 grantId => StatusChange[] changes) private _history;

    constructor(IConsortiumRegistry registry_, IDataCatalogue catalogue_, IOwnerRegistry owners_) {
        _registry = registry_;
        _catalogue = catalogue_;
        _owners = owners_;
    }

    // ----------------------------------------------------------------- consumer: request

    /// @inheritdoc IGrantRegistry
    function request(GrantRequest calldata terms, bytes calldata document, bytes calldata consumerSignature)
        external
    {
        bytes32 consumerId = _registry.requireActive(msg.sender, IConsortiumRegistry.Role.CONSUMER);
        bytes32 grantId = terms.grantId;
        if (grantId == bytes32(0)) revert GrantRegistryInvalidGrantId(grantId);
        if (_grants[grantId].status != GrantStatus.NONE) revert GrantRegistryDuplicateGrant(grantId);
        _checkOwner(terms.ownerPseudonym);
        _checkTerms(terms);
        _checkResources(grantId, terms.resourceIds, terms.purpose);
        if (terms.documentDigest == bytes32(0)) revert GrantRegistryInvalidDocumentDigest(grantId);
        if (document.length == 0) revert GrantRegistryEmptyDocument(grantId);
        if (consumerSignature.length == 0) revert GrantRegistryMissingSignature(grantId);

        Grant storage g = _grants[grantId];
        g.grantId = grantId;
        g.ownerPseudonym = terms.ownerPseudonym;
        g.consumerId = consumerId;
        g.resourceIds = terms.resourceIds;
        g.purpose = terms.purpose;
        g.dataFrom = terms.dataFrom;
        g.dataTo = terms.dataTo;
        g.notBefore = terms.notBefore;
        g.notAfter = terms.notAfter;
        g.maxUses = terms.maxUses;
        g.mode = terms.mode;
        g.requestedAt = uint64(block.timestamp);
        g.documentDigest = terms.documentDigest;
        _setStatus(g, GrantStatus.PENDING);
        emit GrantRequested(
            grantId, terms.ownerPseudonym, consumerId, terms.documentDigest, document, consumerSignature
        );
    }

    // ------------------------------------ owner actions, relayed by the identity authority

    /// @inheritdoc IGrantRegistry
    function approve(bytes32 grantId, bytes calldata ownerSignature) external {
        (Grant storage g, bytes32 relayerId, GrantStatus current) = _ownerAction(grantId);
        if (current != GrantStatus.PENDING) revert GrantRegistryNotPending(grantId, current);
        if (ownerSignature.length == 0) revert GrantRegistryMissingSignature(grantId);

        g.ownerSignature = ownerSignature;
        _setStatus(g, GrantStatus.ACTIVE);
        emit GrantActivated(grantId, relayerId, ownerSignature);
    }

    /// @inheritdoc IGrantRegistry
    function reject(bytes32 grantId, bytes calldata actionDocument, bytes calldata ownerSignature) external {
        (Grant storage g, bytes32 relayerId, GrantStatus current) = _ownerAction(grantId);
        if (current != GrantStatus.PENDING) revert GrantRegistryNotPending(grantId, current);
        _checkSigned(grantId, actionDocument, ownerSignature);

        _setStatus(g, GrantStatus.REJECTED);
        emit GrantRejected(grantId, relayerId, actionDocument, ownerSignature);
    }

    /// @inheritdoc IGrantRegistry
    function pause(bytes32 grantId, bytes calldata actionDocument, bytes calldata ownerSignature) external {
        (Grant storage g, bytes32 relayerId, GrantStatus current) = _ownerAction(grantId);
        if (current != GrantStatus.ACTIVE) revert GrantRegistryNotActive(grantId, current);
        _checkSigned(grantId, actionDocument, ownerSignature);

        _setStatus(g, GrantStatus.PAUSED);
        emit GrantPaused(grantId, relayerId, actionDocument, ownerSignature);
    }

    /// @inheritdoc IGrantRegistry
    function resume(bytes32 grantId, bytes calldata actionDocument, bytes calldata ownerSignature) external {
        (Grant storage g, bytes32 relayerId, GrantStatus current) = _ownerAction(grantId);
        if (current != GrantStatus.PAUSED) revert GrantRegistryNotPaused(grantId, current);
        _checkSigned(grantId, actionDocument, ownerSignature);

        _setStatus(g, GrantStatus.ACTIVE);
        emit GrantResumed(grantId, relayerId, actionDocument, ownerSignature);
    }

    /// @inheritdoc IGrantRegistry
    function revoke(bytes32 grantId, bytes calldata actionDocument, bytes calldata ownerSignature) external {
        (Grant storage g, bytes32 relayerId, GrantStatus current) = _ownerAction(grantId);
        if (current != GrantStatus.ACTIVE && current != GrantStatus.PAUSED) {
            revert GrantRegistryNotRevocable(grantId, current);
        }
        _checkSigned(grantId, actionDocument, ownerSignature);

        _setStatus(g, GrantStatus.REVOKED);
        emit GrantRevoked(grantId, relayerId, actionDocument, ownerSignature);
    }

    // ------------------------------------------------------------------ provider: uses

    /// @inheritdoc IGrantRegistry
    function recordUses(bytes32 grantId, bytes32 resourceId, uint32 count) external {
        bytes32 providerId = _registry.requireActive(msg.sender, IConsortiumRegistry.Role.PROVIDER);
        _recordUses(providerId, grantId, resourceId, count);
    }

    /// @inheritdoc IGrantRegistry
    function recordUsesBatch(
        bytes32[] calldata grantIds,
        bytes32[] calldata resourceIds,
        uint32[] calldata counts
    ) external {
        bytes32 providerId = _registry.requireActive(msg.sender, IConsortiumRegistry.Role.PROVIDER);
        uint256 n = grantIds.length;
        if (resourceIds.length != n || counts.length != n) {
            revert GrantRegistryBatchLengthMismatch(n, resourceIds.length, counts.length);
        }
        if (n == 0) revert GrantRegistryEmptyBatch();
        for (uint256 i = 0; i < n; ++i) {
            _recordUses(providerId, grantIds[i], resourceIds[i], counts[i]);
        }
    }

    // ----------------------------------------------------------------------------- views

    /// @inheritdoc IGrantRegistry
    function getGrant(bytes32 grantId) external view returns (Grant memory) {
        return _grants[grantId];
    }

    /// @inheritdoc IGrantRegistry
    function statusOf(bytes32 grantId) public view returns (GrantStatus) {
        return statusAt(grantId, uint64(block.timestamp));
    }

    /// @inheritdoc IGrantRegistry
    function statusAt(bytes32 grantId, uint64 timestamp) public view returns (GrantStatus) {
        StatusChange[] storage changes = _history[grantId];
        uint256 i = changes.length;
        while (i > 0 && changes[i - 1].at > timestamp) --i;
        if (i == 0) return GrantStatus.NONE;
        GrantStatus stored = changes[i - 1].status;
        bool open = stored == GrantStatus.PENDING || stored == GrantStatus.ACTIVE || stored == GrantStatus.PAUSED;
        if (open && timestamp > _grants[grantId].notAfter) return GrantStatus.EXPIRED;
        return stored;
    }

    /// @inheritdoc IGrantRegistry
    function statusHistory(bytes32 grantId) external view returns (StatusChange[] memory) {
        return _history[grantId];
    }

    /// @inheritdoc IGrantRegistry
    function registry() external view returns (IConsortiumRegistry) {
        return _registry;
    }

    /// @inheritdoc IGrantRegistry
    function catalogue() external view returns (IDataCatalogue) {
        return _catalogue;
    }

    /// @inheritdoc IGrantRegistry
    function ownerRegistry() external view returns (IOwnerRegistry) {
        return _owners;
    }

    /// @inheritdoc IGrantRegistry
    function version() external pure returns (string memory) {
        return "0.1.0";
    }

    // ---------------------------------------------------------------------------- internals

    function _setStatus(Grant storage g, GrantStatus status) private {
        g.status = status;
        g.updatedAt = uint64(block.timestamp);
        _history[g.grantId].push(StatusChange({at: uint64(block.timestamp), status: status}));
    }

    /// @dev The relaying committee member, the grant and its current (derived) status.
    function _ownerAction(bytes32 grantId)
        private
        view
        returns (Grant storage g, bytes32 relayerId, GrantStatus current)
    {
        relayerId = _registry.requireActive(msg.sender, IConsortiumRegistry.Role.COMMITTEE);
        g = _grantAt(grantId);
        current = statusOf(grantId);
    }

    function _recordUses(bytes32 providerId, bytes32 grantId, bytes32 resourceId, uint32 count) private {
        Grant storage g = _grantAt(grantId);
        GrantStatus current = statusOf(grantId);
        if (current != GrantStatus.ACTIVE) revert GrantRegistryNotActive(grantId, current);
        if (block.timestamp < g.notBefore) revert GrantRegistryNotYetValid(grantId, g.notBefore);
        _checkResourceInGrant(g, resourceId);
        (bytes32 resourceProvider,,) = _catalogue.lookup(resourceId);
        if (resourceProvider != providerId) revert GrantRegistryNotResourceProvider(resourceId, providerId);
        if (count == 0) revert GrantRegistryZeroCount(grantId);
        uint32 uses = g.uses;
        if (uint256(uses) + count > g.maxUses) revert GrantRegistryUsesExceeded(grantId, uses, count, g.maxUses);

        uses += count;
        g.uses = uses;
        g.updatedAt = uint64(block.timestamp);
        emit GrantUsesRecorded(grantId, resourceId, providerId, count, uses);
        if (uses == g.maxUses) {
            _setStatus(g, GrantStatus.EXHAUSTED);
            emit GrantExhausted(grantId, uses);
        }
    }

    function _grantAt(bytes32 grantId) private view returns (Grant storage g) {
        g = _grants[grantId];
        if (g.status == GrantStatus.NONE) revert GrantRegistryUnknownGrant(grantId);
    }

    function _checkOwner(bytes32 pseudonym) private view {
        IOwnerRegistry.Owner memory owner = _owners.getOwner(pseudonym);
        if (owner.keyVersion == 0) revert GrantRegistryOwnerNotAttested(pseudonym);
        if (owner.revoked) revert GrantRegistryOwnerRevoked(pseudonym);
    }

    function _checkTerms(GrantRequest calldata terms) private view {
        if (terms.purpose == 0) revert GrantRegistryInvalidPurpose(terms.purpose);
        if (terms.notBefore >= terms.notAfter) revert GrantRegistryInvalidValidity(terms.notBefore, terms.notAfter);
        if (terms.notAfter <= block.timestamp) {
            revert GrantRegistryValidityEnded(terms.notAfter, uint64(block.timestamp));
        }
        if (terms.dataFrom > terms.dataTo) revert GrantRegistryInvalidDataPeriod(terms.dataFrom, terms.dataTo);
        if (terms.maxUses == 0) revert GrantRegistryZeroMaxUses(terms.grantId);
    }

    function _checkResources(bytes32 grantId, bytes32[] calldata resourceIds, uint8 purpose) private view {
        uint256 n = resourceIds.length;
        if (n == 0) revert GrantRegistryNoResources(grantId);
        for (uint256 i = 0; i < n; ++i) {
            bytes32 resourceId = resourceIds[i];
            for (uint256 j = 0; j < i; ++j) {
                if (resourceIds[j] == resourceId) revert GrantRegistryDuplicateResource(grantId, resourceId);
            }
            (bytes32 providerId, bool active, uint256 allowedPurposes) = _catalogue.lookup(resourceId);
            if (providerId == bytes32(0)) revert GrantRegistryUnknownResource(resourceId);
            if (!active) revert GrantRegistryResourceInactive(resourceId);
            if ((allowedPurposes >> purpose) & 1 == 0) revert GrantRegistryPurposeNotAllowed(resourceId, purpose);
        }
    }

    function _checkResourceInGrant(Grant storage g, bytes32 resourceId) private view {
        uint256 n = g.resourceIds.length;
        for (uint256 i = 0; i < n; ++i) {
            if (g.resourceIds[i] == resourceId) return;
        }
        revert GrantRegistryResourceNotInGrant(g.grantId, resourceId);
    }

    function _checkSigned(bytes32 grantId, bytes calldata actionDocument, bytes calldata ownerSignature)
        private
        pure
    {
        if (actionDocument.length == 0) revert GrantRegistryEmptyDocument(grantId);
        if (ownerSignature.length == 0) revert GrantRegistryMissingSignature(grantId);
    }
}
