// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";
import {IDataCatalogue} from "./IDataCatalogue.sol";
import {IOwnerRegistry} from "./IOwnerRegistry.sol";
import {IReceiptLedger} from "./IReceiptLedger.sol";
import {ISm2Verifier} from "./ISm2Verifier.sol";

/**
 * @title IGrantRegistry
 * @notice Data owners' authorizations (grants), modelled on a consent artefact, and the
 * counter of their uses.
 *
 * Flow: an ACTIVE CONSUMER requests a grant with the canonical grant document it signed (JCS
 * JSON naming the owner pseudonym, resources and fields, purpose, periods, uses and mode; it
 * holds only pseudonyms and codes) → PENDING. The owner approves (an SM2 signature over that
 * document), rejects, pauses, resumes or revokes it (an SM2 signature over a decision document
 * this contract builds itself: `decisionDocument`). Any ACTIVE member may relay a decision. The
 * use counter is advanced only by the ACTIVE PROVIDER that the catalogue names for the resource.
 *
 * Trust model: this contract verifies every SM2 signature itself (GB/T 32918, SM3 with Z_A and the
 * default user ID, through the Sm2Verifier contract, no precompile): the consumer's over the grant
 * document against its key in the consortium registry, the SM3 of the document against the
 * digest in the terms, the owner's over the same document (approve) and over each decision,
 * against the owner's current attested key. Decisions carry a per-grant sequence number: one that
 * is not the next (older, already used, or skipped ahead) reverts GrantRegistryStaleDecision, so a
 * genuine old decision replayed by anyone changes nothing. Whether the document's terms equal the
 * terms recorded here (the contract does not parse JSON) is checked by the owner's wallet before
 * it signs and by every gateway and auditor, which refuse a grant whose document and chain differ.
 *
 * A grant never changes once signed: there is no setter for any document field; a change is
 * a new grant. EXPIRED is derived from the clock (block time after notAfter), never stored.
 *
 * Uses reach this contract two ways: from the provider itself (`recordUses`, `recordUsesBatch`),
 * or from the receipt ledger, in the transaction that anchors the batch whose receipts they
 * count (`recordUsesFrom`, called by `ReceiptLedger.anchorWithUses`). The ledger is bound once,
 * right after both contracts are deployed, by the account that deployed this one (`bindLedger`);
 * the ledger and this registry must name each other, and the binding never changes. The ledger
 * has checked that the caller is the ACTIVE PROVIDER `providerId`; every other check of a use
 * (grant ACTIVE and valid, resource in the grant and of that provider, budget) is made here, the
 * same for both ways. The binding emits no event: like the constructor's addresses it is
 * deployment wiring, readable with `receiptLedger()` and fixed from the deployment on.
 */
interface IGrantRegistry {
    /// @notice What the consumer may receive: the granted fields, or only derived indicators.
    enum GrantMode {
        RAW,
        DERIVED
    }

    /// @notice Lifecycle of a grant: PENDING → ACTIVE ⇄ PAUSED → REVOKED | EXPIRED | EXHAUSTED,
    /// or PENDING → REJECTED. EXPIRED is derived, never stored.
    enum GrantStatus {
        NONE,
        PENDING,
        ACTIVE,
        PAUSED,
        REVOKED,
        EXPIRED,
        EXHAUSTED,
        REJECTED
    }

    /// @notice The terms a consumer requests, exactly as in the signed grant document.
    struct GrantRequest {
        /// @dev Chosen by the consumer (random or an SM3 digest); non-zero and unique.
        bytes32 grantId;
        /// @dev The owner's keyed pseudonym, attested in the owner registry.
        bytes32 ownerPseudonym;
        /// @dev The resources granted (catalogue ids); the document names the fields per resource.
        bytes32[] resourceIds;
        /// @dev Purpose code from the purpose catalogue: a scenario (1..99), a domain (100, 101) or
        /// comprehensive (200); see GrantTier.
        uint8 purpose;
        /// @dev Start of the data period (unix seconds, UTC, inclusive).
        uint64 dataFrom;
        /// @dev End of the data period (unix seconds, UTC, inclusive).
        uint64 dataTo;
        /// @dev Start of validity (unix seconds).
        uint64 notBefore;
        /// @dev End of validity (unix seconds); after it the grant is EXPIRED.
        uint64 notAfter;
        /// @dev Maximum number of uses of each resource (> 0): a budget per resource, so that each
        /// resource's one provider alone enforces it; the grant is EXHAUSTED when all are spent.
        uint32 maxUses;
        /// @dev RAW fields or DERIVED indicators only.
        GrantMode mode;
        /// @dev SM3 of the canonical grant document.
        bytes32 documentDigest;
    }

    /// @notice The tier of a grant, fixed by its purpose code (the city's 依场景 / 分领域 / 综合授权):
    /// SCENARIO codes 1-99 name one scenario; DOMAIN codes (100 insurance, 101 credit) cover every
    /// scenario of a domain; COMPREHENSIVE (200) covers every scenario. A query always names one
    /// scenario purpose, which the grant's purpose must cover.
    enum GrantTier {
        NONE,
        SCENARIO,
        DOMAIN,
        COMPREHENSIVE
    }

    /// @notice A grant as recorded on chain.
    struct Grant {
        /// @dev The grant id.
        bytes32 grantId;
        /// @dev The owner's keyed pseudonym.
        bytes32 ownerPseudonym;
        /// @dev Institution id of the consumer that requested it.
        bytes32 consumerId;
        /// @dev The resources granted.
        bytes32[] resourceIds;
        /// @dev Purpose code (1..255).
        uint8 purpose;
        /// @dev Start of the data period (unix seconds, inclusive).
        uint64 dataFrom;
        /// @dev End of the data period (unix seconds, inclusive).
        uint64 dataTo;
        /// @dev Start of validity (unix seconds).
        uint64 notBefore;
        /// @dev End of validity (unix seconds).
        uint64 notAfter;
        /// @dev Maximum number of uses of each resource.
        uint32 maxUses;
        /// @dev Uses recorded by providers so far, over all resources (per resource: usesOf).
        uint32 uses;
        /// @dev RAW or DERIVED.
        GrantMode mode;
        /// @dev Stored status; statusOf() derives EXPIRED from it and the clock.
        GrantStatus status;
        /// @dev Block time of the request.
        uint64 requestedAt;
        /// @dev Block time of the last change (status or uses).
        uint64 updatedAt;
        /// @dev SM3 of the canonical grant document.
        bytes32 documentDigest;
        /// @dev The owner's DER SM2 signature over the grant document (empty until approved).
        bytes ownerSignature;
    }

    /// @notice Uses of one resource under one grant, as the receipt ledger forwards them.
    struct UseRecord {
        /// @dev The grant the uses were served under.
        bytes32 grantId;
        /// @dev The resource used (the provider must be its catalogue provider).
        bytes32 resourceId;
        /// @dev Number of uses (> 0).
        uint32 count;
    }

    /// @notice One entry of a grant's stored status history.
    struct StatusChange {
        /// @dev Block time of the change.
        uint64 at;
        /// @dev The stored status from then on.
        GrantStatus status;
    }

    // ----------------------------------------------------------------------------- events

    /// @notice A consumer requested a grant; `document` is the canonical grant document it signed.
    event GrantRequested(
        bytes32 indexed grantId,
        bytes32 indexed ownerPseudonym,
        bytes32 indexed consumerId,
        bytes32 documentDigest,
        bytes document,
        bytes consumerSignature
    );

    /// @notice The owner approved the grant (`ownerSignature` over the grant document).
    event GrantActivated(bytes32 indexed grantId, bytes32 indexed relayerId, bytes ownerSignature);

    /// @notice The owner rejected the grant (`ownerSignature` over `actionDocument`).
    event GrantRejected(
        bytes32 indexed grantId, bytes32 indexed relayerId, bytes actionDocument, bytes ownerSignature
    );

    /// @notice The owner paused the grant.
    event GrantPaused(bytes32 indexed grantId, bytes32 indexed relayerId, bytes actionDocument, bytes ownerSignature);

    /// @notice The owner resumed the grant.
    event GrantResumed(
        bytes32 indexed grantId, bytes32 indexed relayerId, bytes actionDocument, bytes ownerSignature
    );

    /// @notice The owner revoked the grant for good.
    event GrantRevoked(
        bytes32 indexed grantId, bytes32 indexed relayerId, bytes actionDocument, bytes ownerSignature
    );

    /// @notice The provider recorded `count` uses of `resourceId`; `uses` is the resource's new total
    /// under the grant (maxUses is a budget per resource).
    event GrantUsesRecorded(
        bytes32 indexed grantId, bytes32 indexed resourceId, bytes32 indexed providerId, uint32 count, uint32 uses
    );

    /// @notice Every resource of the grant reached maxUses; `uses` is the total over its resources.
    event GrantExhausted(bytes32 indexed grantId, uint32 uses);

    // ----------------------------------------------------------------------------- errors

    /// @notice The grant id is zero.
    error GrantRegistryInvalidGrantId(bytes32 grantId);
    /// @notice A grant with this id exists already.
    error GrantRegistryDuplicateGrant(bytes32 grantId);
    /// @notice No grant has this id.
    error GrantRegistryUnknownGrant(bytes32 grantId);
    /// @notice The owner pseudonym has no attested key.
    error GrantRegistryOwnerNotAttested(bytes32 ownerPseudonym);
    /// @notice The owner's attestation is revoked.
    error GrantRegistryOwnerRevoked(bytes32 ownerPseudonym);
    /// @notice The purpose code is 0 or outside the catalogue (see purposesOf).
    error GrantRegistryInvalidPurpose(uint8 purpose);
    /// @notice notBefore is not before notAfter.
    error GrantRegistryInvalidValidity(uint64 notBefore, uint64 notAfter);
    /// @notice notAfter is already past.
    error GrantRegistryValidityEnded(uint64 notAfter, uint64 timestamp);
    /// @notice dataFrom is after dataTo.
    error GrantRegistryInvalidDataPeriod(uint64 dataFrom, uint64 dataTo);
    /// @notice maxUses is zero.
    error GrantRegistryZeroMaxUses(bytes32 grantId);
    /// @notice The grant names no resource.
    error GrantRegistryNoResources(bytes32 grantId);
    /// @notice The grant names a resource twice.
    error GrantRegistryDuplicateResource(bytes32 grantId, bytes32 resourceId);
    /// @notice The catalogue has no such resource.
    error GrantRegistryUnknownResource(bytes32 resourceId);
    /// @notice The resource is deactivated.
    error GrantRegistryResourceInactive(bytes32 resourceId);
    /// @notice The resource allows none of the scenario purposes the grant's purpose covers.
    error GrantRegistryPurposeNotAllowed(bytes32 resourceId, uint8 purpose);
    /// @notice The document digest is zero.
    error GrantRegistryInvalidDocumentDigest(bytes32 grantId);
    /// @notice The grant or action document is empty.
    error GrantRegistryEmptyDocument(bytes32 grantId);
    /// @notice A required SM2 signature is empty.
    error GrantRegistryMissingSignature(bytes32 grantId);
    /// @notice Approve or reject on a grant that is not PENDING (status as statusOf reports it).
    error GrantRegistryNotPending(bytes32 grantId, GrantStatus status);
    /// @notice SM3 of the document is not the digest the grant records (or its terms name).
    error GrantRegistryDocumentDigestMismatch(bytes32 grantId, bytes32 expected, bytes32 actual);
    /// @notice The consumer's SM2 signature over the grant document does not verify with its registered key.
    error GrantRegistryInvalidConsumerSignature(bytes32 grantId, bytes32 consumerId);
    /// @notice The owner's SM2 signature does not verify with the owner's current attested key.
    error GrantRegistryInvalidOwnerSignature(bytes32 grantId, bytes32 ownerPseudonym, uint32 keyVersion);
    /// @notice A decision whose sequence number is not the grant's next one (replayed, used or out of order).
    error GrantRegistryStaleDecision(bytes32 grantId, uint32 expectedSeq, uint32 seq);
    /// @notice A decision time that canonical JSON cannot write exactly (above 2^53 - 1).
    error GrantRegistryInvalidDecisionTime(bytes32 grantId, uint64 at);
    /// @notice A term exceeds its bound (`term`: "maxUses", "validity", "notAfter", "dataPeriod", "resources").
    error GrantRegistryTermsOutOfBounds(bytes32 grantId, bytes32 term, uint256 value, uint256 limit);
    /// @notice Pause or use of a grant that is not ACTIVE (status as statusOf reports it).
    error GrantRegistryNotActive(bytes32 grantId, GrantStatus status);
    /// @notice Resume of a grant that is not PAUSED.
    error GrantRegistryNotPaused(bytes32 grantId, GrantStatus status);
    /// @notice Revoke of a grant that is neither ACTIVE nor PAUSED.
    error GrantRegistryNotRevocable(bytes32 grantId, GrantStatus status);
    /// @notice Use of a grant before its notBefore.
    error GrantRegistryNotYetValid(bytes32 grantId, uint64 notBefore);
    /// @notice Use of a resource the grant does not name.
    error GrantRegistryResourceNotInGrant(bytes32 grantId, bytes32 resourceId);
    /// @notice The caller's institution is not the catalogue's provider of the resource.
    error GrantRegistryNotResourceProvider(bytes32 resourceId, bytes32 callerId);
    /// @notice A use count of zero.
    error GrantRegistryZeroCount(bytes32 grantId);
    /// @notice The resource's uses under the grant plus count would exceed maxUses (a budget per resource).
    error GrantRegistryUsesExceeded(bytes32 grantId, bytes32 resourceId, uint32 uses, uint32 count, uint32 maxUses);
    /// @notice The arrays of a batch differ in length.
    error GrantRegistryBatchLengthMismatch(uint256 grantIds, uint256 resourceIds, uint256 counts);
    /// @notice The batch is empty.
    error GrantRegistryEmptyBatch();
    /// @notice recordUsesFrom by an account that is not the bound receipt ledger (`ledger` is zero
    /// before the binding).
    error GrantRegistryCallerNotLedger(address caller, address ledger);
    /// @notice bindLedger by an account other than the one that deployed this contract.
    error GrantRegistryNotDeployer(address caller, address deployer);
    /// @notice bindLedger when a ledger is bound already: the binding never changes.
    error GrantRegistryLedgerAlreadyBound(address ledger);
    /// @notice The ledger to bind is not a contract that answers `grantRegistry()` and `registry()`.
    error GrantRegistryInvalidLedger(address ledger);
    /// @notice The ledger to bind names another grant registry or consortium registry than this one's.
    error GrantRegistryLedgerMismatch(address ledger, address ledgerGrantRegistry, address ledgerRegistry);

    // ----------------------------------------------------------------- consumer: request

    /**
     * @notice Request a grant (ACTIVE CONSUMER only) → PENDING.
     * @param terms The terms, as in the document.
     * @param document The canonical grant document (JCS JSON); emitted, not stored.
     * @param consumerSignature The consumer's DER SM2 signature over `document`.
     */
    function request(GrantRequest calldata terms, bytes calldata document, bytes calldata consumerSignature)
        external;

    // ------------------------------------------ owner decisions, verified here, relayed by anyone

    /**
     * @notice PENDING → ACTIVE. `document` is the grant document (its SM3 must be the recorded
     * digest) and `ownerSignature` the owner's DER SM2 signature over it, verified here against the
     * owner's attested key. Any ACTIVE member may relay. The next decision's sequence is then 1.
     */
    function approve(bytes32 grantId, bytes calldata document, bytes calldata ownerSignature) external;

    /**
     * @notice PENDING → REJECTED, with the owner's signature over `decisionDocument(grantId, "reject",
     * seq, at)`; `seq` must be the grant's next decision sequence (`decisionSeq`), 0 for a pending grant.
     */
    function reject(bytes32 grantId, uint32 seq, uint64 at, bytes calldata ownerSignature) external;

    /// @notice ACTIVE → PAUSED, with the owner's signature over the "pause" decision document.
    function pause(bytes32 grantId, uint32 seq, uint64 at, bytes calldata ownerSignature) external;

    /// @notice PAUSED → ACTIVE, with the owner's signature over the "resume" decision document.
    function resume(bytes32 grantId, uint32 seq, uint64 at, bytes calldata ownerSignature) external;

    /// @notice ACTIVE or PAUSED → REVOKED (terminal), with the owner's signature over the "revoke" document.
    function revoke(bytes32 grantId, uint32 seq, uint64 at, bytes calldata ownerSignature) external;

    /// @notice The scenario purposes (bit p set ⇔ code p) a grant of purpose code `purpose` covers;
    /// zero for a code outside the catalogue.
    function purposesOf(uint8 purpose) external pure returns (uint256);

    /// @notice The tier of a grant of purpose code `purpose` (NONE outside the catalogue).
    function tierOf(uint8 purpose) external pure returns (GrantTier);

    /// @notice Uses of `resourceId` recorded under the grant (each resource has maxUses of its own).
    function usesOf(bytes32 grantId, bytes32 resourceId) external view returns (uint32);

    /// @notice The sequence number the grant's next owner decision must carry.
    function decisionSeq(bytes32 grantId) external view returns (uint32);

    /**
     * @notice The canonical decision document (RFC 8785 JSON) the owner signs: {"action", "at",
     * "document_digest", "grant_id", "seq", "type": "quancheng.grant-action/2"}.
     */
    function decisionDocument(bytes32 grantId, string calldata action, uint32 seq, uint64 at)
        external
        view
        returns (bytes memory);

    // ------------------------------------------------------------------ provider: uses

    /**
     * @notice Record `count` uses of `resourceId` under the grant (the ACTIVE PROVIDER the
     * catalogue names for the resource only). The grant must be ACTIVE and valid now; the
     * resource's uses may not pass maxUses; once every resource reached it the grant is EXHAUSTED.
     */
    function recordUses(bytes32 grantId, bytes32 resourceId, uint32 count) external;

    /// @notice recordUses for several entries, all or nothing.
    function recordUsesBatch(
        bytes32[] calldata grantIds,
        bytes32[] calldata resourceIds,
        uint32[] calldata counts
    ) external;

    /**
     * @notice recordUsesBatch on behalf of the provider `providerId`, from the bound receipt
     * ledger only (`ReceiptLedger.anchorWithUses`, which has checked that the transaction's
     * sender is that ACTIVE PROVIDER). Every entry is checked as by recordUses for that provider.
     */
    function recordUsesFrom(bytes32 providerId, UseRecord[] calldata uses) external;

    /**
     * @notice Bind the receipt ledger that may call recordUsesFrom: once, by the account that
     * deployed this contract, to a ledger whose `grantRegistry()` is this contract and whose
     * `registry()` is this contract's consortium registry.
     */
    function bindLedger(IReceiptLedger ledger) external;

    /// @notice The bound receipt ledger (zero before bindLedger).
    function receiptLedger() external view returns (IReceiptLedger);

    // ----------------------------------------------------------------------------- views

    /// @notice The grant (all fields zero, status NONE, if unknown).
    function getGrant(bytes32 grantId) external view returns (Grant memory);

    /// @notice The grant's status now (EXPIRED derived from the block time).
    function statusOf(bytes32 grantId) external view returns (GrantStatus);

    /**
     * @notice The grant's status at `timestamp`, from its stored history (NONE before its
     * request, EXPIRED after notAfter unless it was already REVOKED, EXHAUSTED or REJECTED).
     * @dev For auditors: was the grant ACTIVE when a receipt says it was used?
     */
    function statusAt(bytes32 grantId, uint64 timestamp) external view returns (GrantStatus);

    /// @notice Every stored status change of the grant, oldest first.
    function statusHistory(bytes32 grantId) external view returns (StatusChange[] memory);

    /// @notice The consortium registry this contract asks.
    function registry() external view returns (IConsortiumRegistry);

    /// @notice The data catalogue this contract asks.
    function catalogue() external view returns (IDataCatalogue);

    /// @notice The owner registry this contract asks.
    function ownerRegistry() external view returns (IOwnerRegistry);

    /// @notice The SM2/SM3 verifier every signature is checked with.
    function sm2Verifier() external view returns (ISm2Verifier);

    /// @notice The interface version of this contract.
    function version() external pure returns (string memory);
}
