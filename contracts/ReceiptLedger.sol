// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IGrantRegistry} from "./interfaces/IGrantRegistry.sol";
import {IReceiptLedger} from "./interfaces/IReceiptLedger.sol";

/**
 * @title ReceiptLedger
 * @notice Each provider's chain of anchored receipt batches, and (anchorWithUses) the uses of
 * each batch's receipts recorded in the grant registry in the same transaction.
 */
contract ReceiptLedger is IReceiptLedger {
    /// @dev Where a provider's chain of batches stands.
    struct Head {
        uint64 nextSeq;
        uint64 totalReceipts;
        bytes32 lastRoot;
    }

    IConsortiumRegistry private immutable _registry;
    IGrantRegistry private immutable _grants;

    mapping(bytes32 providerId => mapping(uint64 seq => Anchor anchor)) private _anchors;
    mapping(bytes32 providerId => Head head) private _heads;

    /// @param grants_ The grant registry anchorWithUses records uses in; it must then bind this
    /// ledger (`GrantRegistry.bindLedger`) before it accepts them.
    constructor(IConsortiumRegistry registry_, IGrantRegistry grants_) {
        _registry = registry_;
        _grants = grants_;
    }

    /// @inheritdoc IReceiptLedger
    function anchor(
        bytes32 providerId,
        uint64 seq,
        bytes32 root,
        uint64 size,
        bytes32 prevRoot,
        bytes calldata signature
    ) external {
        _anchor(providerId, seq, root, size, prevRoot, signature);
    }

    /// @inheritdoc IReceiptLedger
    function anchorWithUses(
        bytes32 providerId,
        uint64 seq,
        bytes32 root,
        uint64 size,
        bytes32 prevRoot,
        bytes calldata signature,
        IGrantRegistry.UseRecord[] calldata uses
    ) external {
        _anchor(providerId, seq, root, size, prevRoot, signature);
        // providerId is the caller's own institution (checked in _anchor): the grant registry
        // records the uses as that provider's, and refuses any resource of another provider.
        if (uses.length != 0) _grants.recordUsesFrom(providerId, uses);
    }

    /// @inheritdoc IReceiptLedger
    function getAnchor(bytes32 providerId, uint64 seq) external view returns (Anchor memory) {
        Anchor storage a = _anchors[providerId][seq];
        if (a.root == bytes32(0)) revert ReceiptLedgerUnknownAnchor(providerId, seq);
        return a;
    }

    /// @inheritdoc IReceiptLedger
    function nextSeq(bytes32 providerId) external view returns (uint64) {
        return _heads[providerId].nextSeq;
    }

    /// @inheritdoc IReceiptLedger
    function lastRoot(bytes32 providerId) external view returns (bytes32) {
        return _heads[providerId].lastRoot;
    }

    /// @inheritdoc IReceiptLedger
    function totalReceipts(bytes32 providerId) external view returns (uint64) {
        return _heads[providerId].totalReceipts;
    }

    /// @inheritdoc IReceiptLedger
    function registry() external view returns (IConsortiumRegistry) {
        return _registry;
    }

    /// @inheritdoc IReceiptLedger
    function grantRegistry() external view returns (IGrantRegistry) {
        return _grants;
    }

    /// @inheritdoc IReceiptLedger
    function version() external pure returns (string memory) {
        return "0.2.0";
    }

    /// @dev The checks and the state change of an anchor: the caller is the ACTIVE PROVIDER
    /// providerId, the batch is the next of its chain and links to the last one.
    function _anchor(
        bytes32 providerId,
        uint64 seq,
        bytes32 root,
        uint64 size,
        bytes32 prevRoot,
        bytes calldata signature
    ) private {
        bytes32 callerId = _registry.requireActive(msg.sender, IConsortiumRegistry.Role.PROVIDER);
        if (callerId != providerId) revert ReceiptLedgerForeignAnchor(providerId, callerId);
        if (size == 0) revert ReceiptLedgerEmptyBatch(providerId, seq);
        if (root == bytes32(0)) revert ReceiptLedgerZeroRoot(providerId, seq);
        if (signature.length == 0) revert ReceiptLedgerMissingSignature(providerId, seq);
        Head storage head = _heads[providerId];
        if (seq != head.nextSeq) revert ReceiptLedgerOutOfSequence(providerId, seq, head.nextSeq);
        if (prevRoot != head.lastRoot) revert ReceiptLedgerPrevRootMismatch(providerId, prevRoot, head.lastRoot);

        uint64 firstIndex = head.totalReceipts;
        _anchors[providerId][seq] = Anchor({
            providerId: providerId,
            seq: seq,
            firstIndex: firstIndex,
            size: size,
            anchoredAt: uint64(block.timestamp),
            root: root,
            prevRoot: prevRoot,
            blockNumber: uint64(block.number),
            gatewaySignature: signature
        });
        head.nextSeq = seq + 1;
        head.totalReceipts = firstIndex + size;
        head.lastRoot = root;
        emit BatchAnchored(providerId, seq, root, size, firstIndex, prevRoot, signature);
    }
}
