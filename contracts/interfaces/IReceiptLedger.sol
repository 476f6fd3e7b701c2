// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";
import {IGrantRegistry} from "./IGrantRegistry.sol";

/**
 * @title IReceiptLedger
 * @notice Anchors of the providers' receipt batches.
 *
 * A gateway collects the receipts of the queries it answered into batches; each batch is a
 * Merkle tree (leaf = SM3(0x00 ‖ receipt), node = SM3(0x01 ‖ left ‖ right), as RFC 6962) whose
 * root is anchored here with its size, the previous batch's root and the gateway's SM2
 * signature over the canonical anchor document. Batches of a provider form a chain (seq 0, 1,
 * 2, … with prevRoot linking them) and their sizes a running receipt index, so an auditor can
 * prove both a receipt's inclusion and that no batch was dropped or rewritten.
 *
 * Trust model: the EVM has neither SM2 nor SM3: the roots are computed and the signatures
 * verified off chain. This contract enforces who anchors (only the provider itself), the
 * sequence and the linkage.
 *
 * One transaction per batch: `anchorWithUses` anchors a batch and records the uses of its
 * receipts (GrantRegistry.recordUsesFrom, which accepts calls from this ledger only) together,
 * or reverts as a whole. Two transactions (`anchor`, then `GrantRegistry.recordUsesBatch`) cost
 * twice the nonces and base gas and left a batch anchored with its uses unrecorded whenever the
 * gateway stopped between them. The uses are recorded under the anchoring provider's id, which
 * this contract has just checked against the caller: a provider can only ever spend the budgets
 * of the resources the catalogue names it the provider of, exactly as through recordUsesBatch.
 * `anchor` stays for a batch recorded without uses and for the tools that anchor alone.
 */
interface IReceiptLedger {
    /// @notice One anchored batch of receipts.
    struct Anchor {
        /// @dev Institution id of the provider whose gateway issued the receipts.
        bytes32 providerId;
        /// @dev Position in the provider's chain of batches: 0, 1, 2, …
        uint64 seq;
        /// @dev Cumulative index of the batch's first receipt (sum of the earlier sizes).
        uint64 firstIndex;
        /// @dev Number of receipts in the batch (> 0).
        uint64 size;
        /// @dev Block time of anchoring.
        uint64 anchoredAt;
        /// @dev Merkle root of the batch (SM3, non-zero).
        bytes32 root;
        /// @dev Root of batch seq − 1 (zero for seq 0).
        bytes32 prevRoot;
        /// @dev Block number of anchoring.
        uint64 blockNumber;
        /// @dev The provider's DER SM2 signature over the canonical anchor document.
        bytes gatewaySignature;
    }

    /// @notice A provider anchored a batch of receipts.
    event BatchAnchored(
        bytes32 indexed providerId,
        uint64 indexed seq,
        bytes32 root,
        uint64 size,
        uint64 firstIndex,
        bytes32 prevRoot,
        bytes signature
    );

    /// @notice The caller's institution is not the provider named in the anchor.
    error ReceiptLedgerForeignAnchor(bytes32 providerId, bytes32 callerId);
    /// @notice The sequence number is not the provider's next one.
    error ReceiptLedgerOutOfSequence(bytes32 providerId, uint64 seq, uint64 expectedSeq);
    /// @notice prevRoot is not the root of the provider's previous batch.
    error ReceiptLedgerPrevRootMismatch(bytes32 providerId, bytes32 prevRoot, bytes32 expectedPrevRoot);
    /// @notice A batch of zero receipts.
    error ReceiptLedgerEmptyBatch(bytes32 providerId, uint64 seq);
    /// @notice A zero Merkle root.
    error ReceiptLedgerZeroRoot(bytes32 providerId, uint64 seq);
    /// @notice An empty gateway signature.
    error ReceiptLedgerMissingSignature(bytes32 providerId, uint64 seq);
    /// @notice No anchor with this sequence number.
    error ReceiptLedgerUnknownAnchor(bytes32 providerId, uint64 seq);

    /**
     * @notice Anchor the next batch of the caller's receipts (the ACTIVE PROVIDER whose
     * institution id is `providerId` only).
     * @param seq Must equal nextSeq(providerId).
     * @param root Merkle root of the batch.
     * @param size Number of receipts in the batch.
     * @param prevRoot Must equal lastRoot(providerId) (zero for the first batch).
     * @param signature The gateway's DER SM2 signature over the canonical anchor document.
     */
    function anchor(
        bytes32 providerId,
        uint64 seq,
        bytes32 root,
        uint64 size,
        bytes32 prevRoot,
        bytes calldata signature
    ) external;

    /**
     * @notice `anchor`, then record the uses of the batch's receipts in the grant registry
     * (`GrantRegistry.recordUsesFrom(providerId, …)`), in one transaction: both or neither. Any
     * refusal of an entry (grant not ACTIVE or not yet valid, budget exceeded, resource not in
     * the grant or of another provider, zero count) reverts the anchor too, with the grant
     * registry's error. With no entries the batch is anchored alone, as by `anchor`.
     * @param uses The uses of the batch's receipts, one entry per (grant, resource); the caller
     * must be the catalogue provider of every resource.
     */
    function anchorWithUses(
        bytes32 providerId,
        uint64 seq,
        bytes32 root,
        uint64 size,
        bytes32 prevRoot,
        bytes calldata signature,
        IGrantRegistry.UseRecord[] calldata uses
    ) external;

    /// @notice The anchor `seq` of the provider; reverts with ReceiptLedgerUnknownAnchor if none.
    function getAnchor(bytes32 providerId, uint64 seq) external view returns (Anchor memory);

    /// @notice The sequence number the provider's next batch must carry.
    function nextSeq(bytes32 providerId) external view returns (uint64);

    /// @notice Root of the provider's last batch (zero before the first).
    function lastRoot(bytes32 providerId) external view returns (bytes32);

    /// @notice Receipts anchored so far by the provider (the next batch's firstIndex).
    function totalReceipts(bytes32 providerId) external view returns (uint64);

    /// @notice The consortium registry this contract asks.
    function registry() external view returns (IConsortiumRegistry);

    /// @notice The grant registry `anchorWithUses` records uses in (fixed at deployment).
    function grantRegistry() external view returns (IGrantRegistry);

    /// @notice The interface version of this contract.
    function version() external pure returns (string memory);
}
