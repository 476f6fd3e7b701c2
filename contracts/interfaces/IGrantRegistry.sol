// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";
import {IDataCatalogue} from "./IDataCatalogue.sol";
import {IOwnerRegistry} from "./IOwnerRegistry.sol";

/**
 * @title IGrantRegistry
 * @notice Data owners' authorizations (grants), modelled on a consent artefact, and the
 * counter of their uses.
 *
 * Flow: an ACTIVE CONSUMER requests a grant with the canonical grant document it signed (JCS
 * JSON naming the owner pseudonym, resources and fields, purpose, periods, uses and mode; it
 * holds only pseudonyms and codes) → PENDING. The owner approves, rejects, pauses, resumes or
 * revokes it in the owner portal; the identity authority (an ACTIVE COMMITTEE member running
 * the portal) relays each action on chain with the owner's DER SM2 signature. The use counter
 * is advanced only by the ACTIVE PROVIDER that the catalogue names for the resource used.
 *
 * Trust model: the EVM has neither SM2 nor SM3. This contract checks who sends each
 * transaction (consumer, relaying committee member, provider) and the state machine; it
 * stores and emits the SM3 digest of the grant document and the SM2 signatures, which
 * gateways and auditors verify off chain: the consumer's and the owner's signatures over the
 * document (against the consortium registry and the owner registry), the digest against the
 * document emitted in GrantRequested, and the owner's signature over each action document.
 *
 * A grant never changes once signed: there is no setter for any document field; a change is
 * a new grant. EXPIRED is derived from the clock (block time after notAfter), never stored.
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
        /// @dev Purpose code (1..255) from the purpose catalogue.
        uint8 purpose;
        /// @dev Start of the data period (unix seconds, UTC, inclusive).
        uint64 dataFrom;
        /// @dev End of the data period (unix seconds, UTC, inclusive).
        uint64 dataTo;
        /// @dev Start of validity (unix seconds).
        uint64 notBefore;
        /// @dev End of validity (unix seconds); after it the grant is EXPIRED.
        uint64 notAfter;
        /// @dev Maximum number of uses (> 0); reaching it makes the grant EXHAUSTED.
        uint32 maxUses;
        /// @dev RAW fields or DERIVED indicators only.
        GrantMode mode;
        /// @dev SM3 of the canonical grant document.
        bytes32 documentDigest;
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
        /// @dev Maximum number of uses.
        uint32 maxUses;
        /// @dev Uses recorded by providers so far.
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

    /// @notice The provider recorded `count` uses of `resourceId`; `uses` is the new total.
    event GrantUsesRecorded(
        bytes32 indexed grantId, bytes32 indexed resourceId, bytes32 indexed providerId, uint32 count, uint32 uses
    );

    /// @notice The grant reached its maximum number of uses.
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
    /// @notice The purpose code is 0.
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
    /// @notice The resource does not allow the purpose.
    error GrantRegistryPurposeNotAllowed(bytes32 resourceId, uint8 purpose);
    /// @notice The document digest is zero.
    error GrantRegistryInvalidDocumentDigest(bytes32 grantId);
    /// @notice The grant or action document is empty.
    error GrantRegistryEmptyDocument(bytes32 grantId);
    /// @notice A required SM2 signature is empty.
    error GrantRegistryMissingSignature(bytes32 grantId);
    /// @notice Approve or reject on a grant that is not PENDING (status as statusOf reports it).
    error GrantRegistryNotPending(bytes32 grantId, GrantStatus status);
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
    /// @notice uses + count would exceed maxUses.
    error GrantRegistryUsesExceeded(bytes32 grantId, uint32 uses, uint32 count, uint32 maxUses);
    /// @notice The arrays of a batch differ in length.
    error GrantRegistryBatchLengthMismatch(uint256 grantIds, uint256 resourceIds, uint256 counts);
    /// @notice The batch is empty.
    error GrantRegistryEmptyBatch();

    // ----------------------------------------------------------------- consumer: request

    /**
     * @notice Request a grant (ACTIVE CONSUMER only) → PENDING.
     * @param terms The terms, as in the document.
     * @param document The canonical grant document (JCS JSON); emitted, not stored.
     * @param consumerSignature The consumer's DER SM2 signature over `document`.
     */
    function request(GrantRequest calldata terms, bytes calldata document, bytes calldata consumerSignature)
        external;

    // ------------------------------------ owner actions, relayed by the identity authority

    /// @notice PENDING → ACTIVE, with the owner's SM2 signature over the grant document.
    function approve(bytes32 grantId, bytes calldata ownerSignature) external;

    /// @notice PENDING → REJECTED, with the owner's SM2 signature over `actionDocument`.
    function reject(bytes32 grantId, bytes calldata actionDocument, bytes calldata ownerSignature) external;

    /// @notice ACTIVE → PAUSED, with the owner's SM2 signature over `actionDocument`.
    function pause(bytes32 grantId, bytes calldata actionDocument, bytes calldata ownerSignature) external;

    /// @notice PAUSED → ACTIVE, with the owner's SM2 signature over `actionDocument`.
    function resume(bytes32 grantId, bytes calldata actionDocument, bytes calldata ownerSignature) external;

    /// @notice ACTIVE or PAUSED → REVOKED (terminal), with the owner's SM2 signature.
    function revoke(bytes32 grantId, bytes calldata actionDocument, bytes calldata ownerSignature) external;

    // ------------------------------------------------------------------ provider: uses

    /**
     * @notice Record `count` uses of `resourceId` under the grant (the ACTIVE PROVIDER the
     * catalogue names for the resource only). The grant must be ACTIVE and valid now; reaching
     * maxUses makes it EXHAUSTED.
     */
    function recordUses(bytes32 grantId, bytes32 resourceId, uint32 count) external;

    /// @notice recordUses for several entries, all or nothing.
    function recordUsesBatch(
        bytes32[] calldata grantIds,
        bytes32[] calldata resourceIds,
        uint32[] calldata counts
    ) external;

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

    /// @notice The interface version of this contract.
    function version() external pure returns (string memory);
}
