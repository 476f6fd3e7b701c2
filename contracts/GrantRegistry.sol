// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IDataCatalogue} from "./interfaces/IDataCatalogue.sol";
import {IGrantRegistry} from "./interfaces/IGrantRegistry.sol";
import {IOwnerRegistry} from "./interfaces/IOwnerRegistry.sol";
import {IReceiptLedger} from "./interfaces/IReceiptLedger.sol";
import {ISm2Verifier} from "./interfaces/ISm2Verifier.sol";

/**
 * @title GrantRegistry
 * @notice Owners' grants: requested by consumers, decided by owners, used under the providers'
 * counters. The contract verifies every SM2 signature itself (the consumer's over its grant
 * document, the owner's over the approved document and over each later decision), so whoever
 * relays a decision gains no power from relaying it.
 *
 * The receipt ledger records a batch's uses in the transaction that anchors it
 * (`recordUsesFrom`). It is bound once, by the deployer, after both contracts exist: each needs
 * the other's address and a constructor cannot name a contract not yet deployed (predicting a
 * CREATE address would tie the deployment to the deployer's nonce). Until then `recordUsesFrom`
 * refuses everyone; after it the deployer has no power left here.
 */
contract GrantRegistry is IGrantRegistry {
    IConsortiumRegistry private immutable _registry;
    IDataCatalogue private immutable _catalogue;
    IOwnerRegistry private immutable _owners;
    ISm2Verifier private immutable _sm2;
    /// @dev The only account that may bind the ledger, once.
    address private immutable _deployer;
    /// @dev The receipt ledger allowed to call recordUsesFrom (zero until bound, then fixed).
    IReceiptLedger private _ledger;

    mapping(bytes32 grantId => Grant grant) private _grants;
    mapping(bytes32 grantId => StatusChange[] changes) private _history;
    mapping(bytes32 grantId => uint32 nextSeq) private _decisions;
    mapping(bytes32 grantId => mapping(bytes32 resourceId => uint32 uses)) private _resourceUses;

    /// @notice Purpose code of a domain grant (分领域授权) covering every insurance scenario.
    uint8 public constant DOMAIN_INSURANCE = 100;
    /// @notice Purpose code of a domain grant covering every credit scenario.
    uint8 public constant DOMAIN_CREDIT = 101;
    /// @notice Purpose code of a comprehensive grant (综合授权) covering every scenario.
    uint8 public constant COMPREHENSIVE = 200;
    /// @dev Motor, life and medical claims, underwriting: purpose codes 1-4.
    uint256 private constant _INSURANCE_PURPOSES = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4);
    /// @dev SME credit, personal credit, post-loan management: purpose codes 5-7.
    uint256 private constant _CREDIT_PURPOSES = (1 << 5) | (1 << 6) | (1 << 7);

    /// @notice Most resources one grant may name.
    uint256 public constant MAX_RESOURCES = 16;
    /// @notice Largest maxUses a grant may ask for.
    uint32 public constant MAX_USES = 100_000;
    /// @notice Longest validity (notAfter - notBefore), and farthest notAfter from now: 1,096 days.
    uint64 public constant MAX_VALIDITY = 1_096 days;
    /// @notice Longest data period (dataTo - dataFrom): 30 years of 366 days.
    uint64 public constant MAX_DATA_PERIOD = 30 * 366 days;
    /// @dev Largest integer canonical JSON writes exactly (2^53 - 1): the bound of a decision's time.
    uint64 private constant _MAX_JSON_INT = 2 ** 53 - 1;

    constructor(
        IConsortiumRegistry registry_,
        IDataCatalogue catalogue_,
        IOwnerRegistry owners_,
        ISm2Verifier sm2_
    ) {
        _registry = registry_;
        _catalogue = catalogue_;
        _owners = owners_;
        _sm2 = sm2_;
        _deployer = msg.sender;
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
        _checkDocument(grantId, document, terms.documentDigest);
        if (consumerSignature.length == 0) revert GrantRegistryMissingSignature(grantId);
        bytes memory consumerKey = _registry.getInstitution(consumerId).sm2PublicKey;
        if (!_sm2.verify(consumerKey, document, consumerSignature)) {
            revert GrantRegistryInvalidConsumerSignature(grantId, consumerId);
        }

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

    // ------------------------------------------ owner decisions, verified here, relayed by anyone

    /// @inheritdoc IGrantRegistry
    function approve(bytes32 grantId, bytes calldata document, bytes calldata ownerSignature) external {
        (Grant storage g, bytes32 relayerId, GrantStatus current) = _ownerAction(grantId);
        if (current != GrantStatus.PENDING) revert GrantRegistryNotPending(grantId, current);
        _checkDocument(grantId, document, g.documentDigest);
        _checkOwnerSignature(g, document, ownerSignature);

        g.ownerSignature = ownerSignature;
        _decisions[grantId] = 1;
        _setStatus(g, GrantStatus.ACTIVE);
        emit GrantActivated(grantId, relayerId, ownerSignature);
    }

    /// @inheritdoc IGrantRegistry
    function reject(bytes32 grantId, uint32 seq, uint64 at, bytes calldata ownerSignature) external {
        (Grant storage g, bytes32 relayerId, GrantStatus current) = _ownerAction(grantId);
        if (current != GrantStatus.PENDING) revert GrantRegistryNotPending(grantId, current);
        bytes memory doc = _checkDecision(g, "reject", seq, at, ownerSignature);

        _setStatus(g, GrantStatus.REJECTED);
        emit GrantRejected(grantId, relayerId, doc, ownerSignature);
    }

    /// @inheritdoc IGrantRegistry
    function pause(bytes32 grantId, uint32 seq, uint64 at, bytes calldata ownerSignature) external {
        (Grant storage g, bytes32 relayerId, GrantStatus current) = _ownerAction(grantId);
        if (current != GrantStatus.ACTIVE) revert GrantRegistryNotActive(grantId, current);
        bytes memory doc = _checkDecision(g, "pause", seq, at, ownerSignature);

        _setStatus(g, GrantStatus.PAUSED);
        emit GrantPaused(grantId, relayerId, doc, ownerSignature);
    }

    /// @inheritdoc IGrantRegistry
    function resume(bytes32 grantId, uint32 seq, uint64 at, bytes calldata ownerSignature) external {
        (Grant storage g, bytes32 relayerId, GrantStatus current) = _ownerAction(grantId);
        if (current != GrantStatus.PAUSED) revert GrantRegistryNotPaused(grantId, current);
        bytes memory doc = _checkDecision(g, "resume", seq, at, ownerSignature);

        _setStatus(g, GrantStatus.ACTIVE);
        emit GrantResumed(grantId, relayerId, doc, ownerSignature);
    }

    /// @inheritdoc IGrantRegistry
    function revoke(bytes32 grantId, uint32 seq, uint64 at, bytes calldata ownerSignature) external {
        (Grant storage g, bytes32 relayerId, GrantStatus current) = _ownerAction(grantId);
        if (current != GrantStatus.ACTIVE && current != GrantStatus.PAUSED) {
            revert GrantRegistryNotRevocable(grantId, current);
        }
        bytes memory doc = _checkDecision(g, "revoke", seq, at, ownerSignature);

        _setStatus(g, GrantStatus.REVOKED);
        emit GrantRevoked(grantId, relayerId, doc, ownerSignature);
    }

    /// @inheritdoc IGrantRegistry
    function purposesOf(uint8 purpose) public pure returns (uint256) {
        if (purpose == 0) return 0;
        if (purpose < DOMAIN_INSURANCE) return uint256(1) << purpose;
        if (purpose == DOMAIN_INSURANCE) return _INSURANCE_PURPOSES;
        if (purpose == DOMAIN_CREDIT) return _CREDIT_PURPOSES;
        if (purpose == COMPREHENSIVE) return _INSURANCE_PURPOSES | _CREDIT_PURPOSES;
        return 0;
    }

    /// @inheritdoc IGrantRegistry
    function tierOf(uint8 purpose) external pure returns (GrantTier) {
        if (purpose == 0 || purposesOf(purpose) == 0) return GrantTier.NONE;
        if (purpose < DOMAIN_INSURANCE) return GrantTier.SCENARIO;
        if (purpose == COMPREHENSIVE) return GrantTier.COMPREHENSIVE;
        return GrantTier.DOMAIN;
    }

    /// @inheritdoc IGrantRegistry
    function usesOf(bytes32 grantId, bytes32 resourceId) external view returns (uint32) {
        return _resourceUses[grantId][resourceId];
    }

    /// @inheritdoc IGrantRegistry
    function decisionSeq(bytes32 grantId) external view returns (uint32) {
        return _decisions[grantId];
    }

    /// @inheritdoc IGrantRegistry
    function decisionDocument(bytes32 grantId, string calldata action, uint32 seq, uint64 at)
        external
        view
        returns (bytes memory)
    {
        return _decisionDocument(action, _grantAt(grantId), seq, at);
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

    /// @inheritdoc IGrantRegistry
    function recordUsesFrom(bytes32 providerId, UseRecord[] calldata uses) external {
        // The ledger checked that the transaction's sender is the ACTIVE PROVIDER providerId.
        address ledger = address(_ledger);
        if (ledger == address(0) || msg.sender != ledger) revert GrantRegistryCallerNotLedger(msg.sender, ledger);
        uint256 n = uses.length;
        if (n == 0) revert GrantRegistryEmptyBatch();
        for (uint256 i = 0; i < n; ++i) {
            _recordUses(providerId, uses[i].grantId, uses[i].resourceId, uses[i].count);
        }
    }

    /// @inheritdoc IGrantRegistry
    function bindLedger(IReceiptLedger ledger) external {
        if (msg.sender != _deployer) revert GrantRegistryNotDeployer(msg.sender, _deployer);
        if (address(_ledger) != address(0)) revert GrantRegistryLedgerAlreadyBound(address(_ledger));
        _checkLedger(ledger);
        _ledger = ledger;
    }

    /// @inheritdoc IGrantRegistry
    function receiptLedger() external view returns (IReceiptLedger) {
        return _ledger;
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
    function sm2Verifier() external view returns (ISm2Verifier) {
        return _sm2;
    }

    /// @inheritdoc IGrantRegistry
    function version() external pure returns (string memory) {
        return "0.3.0";
    }

    // ---------------------------------------------------------------------------- internals

    function _setStatus(Grant storage g, GrantStatus status) private {
        g.status = status;
        g.updatedAt = uint64(block.timestamp);
        _history[g.grantId].push(StatusChange({at: uint64(block.timestamp), status: status}));
    }

    /// @dev The relaying member (any ACTIVE one: the owner's signature carries the decision), the
    /// grant and its current (derived) status.
    function _ownerAction(bytes32 grantId)
        private
        view
        returns (Grant storage g, bytes32 relayerId, GrantStatus current)
    {
        relayerId = _registry.requireMember(msg.sender);
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
        // maxUses is a budget per resource: each resource has one provider, which alone counts
        // its uses, so no two providers can together exceed what the owner granted.
        uint32 used = _resourceUses[grantId][resourceId];
        if (uint256(used) + count > g.maxUses) {
            revert GrantRegistryUsesExceeded(grantId, resourceId, used, count, g.maxUses);
        }

        used += count;
        _resourceUses[grantId][resourceId] = used;
        g.uses += count;
        g.updatedAt = uint64(block.timestamp);
        emit GrantUsesRecorded(grantId, resourceId, providerId, count, used);
        if (used == g.maxUses && _allResourcesSpent(g)) {
            _setStatus(g, GrantStatus.EXHAUSTED);
            emit GrantExhausted(grantId, g.uses);
        }
    }

    /// @dev The ledger must be a contract that names this registry and this consortium back.
    function _checkLedger(IReceiptLedger ledger) private view {
        if (address(ledger).code.length == 0) revert GrantRegistryInvalidLedger(address(ledger));
        address grants;
        address registry_;
        try ledger.grantRegistry() returns (IGrantRegistry g) {
            grants = address(g);
        } catch {
            revert GrantRegistryInvalidLedger(address(ledger));
        }
        try ledger.registry() returns (IConsortiumRegistry r) {
            registry_ = address(r);
        } catch {
            revert GrantRegistryInvalidLedger(address(ledger));
        }
        if (grants != address(this) || registry_ != address(_registry)) {
            revert GrantRegistryLedgerMismatch(address(ledger), grants, registry_);
        }
    }

    function _allResourcesSpent(Grant storage g) private view returns (bool) {
        uint256 n = g.resourceIds.length;
        for (uint256 i = 0; i < n; ++i) {
            if (_resourceUses[g.grantId][g.resourceIds[i]] < g.maxUses) return false;
        }
        return true;
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
        if (purposesOf(terms.purpose) == 0) revert GrantRegistryInvalidPurpose(terms.purpose);
        if (terms.notBefore >= terms.notAfter) revert GrantRegistryInvalidValidity(terms.notBefore, terms.notAfter);
        if (terms.notAfter <= block.timestamp) {
            revert GrantRegistryValidityEnded(terms.notAfter, uint64(block.timestamp));
        }
        if (terms.dataFrom > terms.dataTo) revert GrantRegistryInvalidDataPeriod(terms.dataFrom, terms.dataTo);
        if (terms.maxUses == 0) revert GrantRegistryZeroMaxUses(terms.grantId);
        _checkBound(terms.grantId, "maxUses", terms.maxUses, MAX_USES);
        _checkBound(terms.grantId, "validity", terms.notAfter - terms.notBefore, MAX_VALIDITY);
        _checkBound(terms.grantId, "notAfter", terms.notAfter - block.timestamp, MAX_VALIDITY);
        _checkBound(terms.grantId, "dataPeriod", terms.dataTo - terms.dataFrom, MAX_DATA_PERIOD);
    }

    function _checkBound(bytes32 grantId, bytes32 term, uint256 value, uint256 limit) private pure {
        if (value > limit) revert GrantRegistryTermsOutOfBounds(grantId, term, value, limit);
    }

    function _checkDocument(bytes32 grantId, bytes calldata document, bytes32 digest) private view {
        if (document.length == 0) revert GrantRegistryEmptyDocument(grantId);
        bytes32 actual = _sm2.sm3(document);
        if (actual != digest) revert GrantRegistryDocumentDigestMismatch(grantId, digest, actual);
    }

    /// @dev The owner's current attested key must have signed `message`.
    function _checkOwnerSignature(Grant storage g, bytes memory message, bytes calldata signature) private view {
        if (signature.length == 0) revert GrantRegistryMissingSignature(g.grantId);
        IOwnerRegistry.Owner memory owner = _owners.getOwner(g.ownerPseudonym);
        if (owner.keyVersion == 0) revert GrantRegistryOwnerNotAttested(g.ownerPseudonym);
        if (owner.revoked) revert GrantRegistryOwnerRevoked(g.ownerPseudonym);
        if (!_sm2.verify(owner.sm2PublicKey, message, signature)) {
            revert GrantRegistryInvalidOwnerSignature(g.grantId, g.ownerPseudonym, owner.keyVersion);
        }
    }

    /// @dev A decision is the next in the grant's sequence and signed by the owner; returns the
    /// canonical decision document that was signed, and advances the sequence.
    function _checkDecision(Grant storage g, string memory action, uint32 seq, uint64 at, bytes calldata signature)
        private
        returns (bytes memory doc)
    {
        uint32 expected = _decisions[g.grantId];
        if (seq != expected) revert GrantRegistryStaleDecision(g.grantId, expected, seq);
        if (at > _MAX_JSON_INT) revert GrantRegistryInvalidDecisionTime(g.grantId, at);
        doc = _decisionDocument(action, g, seq, at);
        _checkOwnerSignature(g, doc, signature);
        _decisions[g.grantId] = expected + 1;
    }

    /// @dev The canonical (RFC 8785) JSON of a decision: keys sorted, no spaces, lower-case hex.
    function _decisionDocument(string memory action, Grant storage g, uint32 seq, uint64 at)
        private
        view
        returns (bytes memory)
    {
        return abi.encodePacked(
            '{"action":"',
            action,
            '","at":',
            _decimal(at),
            ',"document_digest":"',
            _hex32(g.documentDigest),
            '","grant_id":"',
            _hex32(g.grantId),
            '","seq":',
            _decimal(seq),
            ',"type":"quancheng.grant-action/2"}'
        );
    }

    /// @dev "0x" and 64 lower-case hex digits.
    function _hex32(bytes32 value) private pure returns (bytes memory out) {
        out = new bytes(66);
        out[0] = "0";
        out[1] = "x";
        bytes16 digits = "0123456789abcdef";
        for (uint256 i = 0; i < 32; ++i) {
            uint8 b = uint8(value[i]);
            out[2 + 2 * i] = digits[b >> 4];
            out[3 + 2 * i] = digits[b & 0x0f];
        }
    }

    /// @dev The decimal digits of `value`, as JSON writes an integer.
    function _decimal(uint256 value) private pure returns (bytes memory out) {
        uint256 len = 1;
        for (uint256 v = value; v >= 10; v /= 10) ++len;
        out = new bytes(len);
        for (uint256 i = len; i > 0; --i) {
            out[i - 1] = bytes1(uint8(48 + (value % 10)));
            value /= 10;
        }
    }

    function _checkResources(bytes32 grantId, bytes32[] calldata resourceIds, uint8 purpose) private view {
        uint256 n = resourceIds.length;
        if (n == 0) revert GrantRegistryNoResources(grantId);
        _checkBound(grantId, "resources", n, MAX_RESOURCES);
        for (uint256 i = 0; i < n; ++i) {
            bytes32 resourceId = resourceIds[i];
            for (uint256 j = 0; j < i; ++j) {
                if (resourceIds[j] == resourceId) revert GrantRegistryDuplicateResource(grantId, resourceId);
            }
            (bytes32 providerId, bool active, uint256 allowedPurposes) = _catalogue.lookup(resourceId);
            if (providerId == bytes32(0)) revert GrantRegistryUnknownResource(resourceId);
            if (!active) revert GrantRegistryResourceInactive(resourceId);
            if (allowedPurposes & purposesOf(purpose) == 0) revert GrantRegistryPurposeNotAllowed(resourceId, purpose);
        }
    }

    function _checkResourceInGrant(Grant storage g, bytes32 resourceId) private view {
        uint256 n = g.resourceIds.length;
        for (uint256 i = 0; i < n; ++i) {
            if (g.resourceIds[i] == resourceId) return;
        }
        revert GrantRegistryResourceNotInGrant(g.grantId, resourceId);
    }
}
