// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IOwnerRegistry} from "./interfaces/IOwnerRegistry.sol";
import {ISm2Verifier} from "./interfaces/ISm2Verifier.sol";

/**
 * @title OwnerRegistry
 * @notice Owner SM2 keys bound to keyed pseudonyms by an identity authority: an institution the
 * committee voted into that role (ConsortiumRegistry.proposeIdentityAuthority). No committee
 * member, and no other member, can bind, re-bind or revoke an owner's key.
 * @dev A key replaced by a rotation is released; a revoked owner keeps its key bound until a
 * new attestation replaces it.
 */
contract OwnerRegistry is IOwnerRegistry {
    IConsortiumRegistry private immutable _registry;
    ISm2Verifier private immutable _sm2;

    mapping(bytes32 pseudonym => Owner owner) private _owners;
    mapping(bytes32 keyHash => bytes32 pseudonym) private _keys;

    constructor(IConsortiumRegistry registry_, ISm2Verifier sm2_) {
        _registry = registry_;
        _sm2 = sm2_;
    }

    /// @inheritdoc IOwnerRegistry
    function attest(
        bytes32 pseudonym,
        bytes calldata sm2PublicKey,
        bytes calldata attestationDocument,
        bytes calldata attestation
    ) external {
        bytes32 attesterId = _registry.requireIdentityAuthority(msg.sender);
        if (pseudonym == bytes32(0)) revert OwnerRegistryInvalidPseudonym(pseudonym);
        if (!_sm2.isValidPublicKey(sm2PublicKey)) revert OwnerRegistryInvalidSm2PublicKey(sm2PublicKey);
        if (attestationDocument.length == 0) revert OwnerRegistryEmptyAttestationDocument(pseudonym);
        if (attestation.length == 0) revert OwnerRegistryEmptyAttestation(pseudonym);
        Owner storage owner = _owners[pseudonym];
        bytes memory attesterKey = _registry.getInstitution(attesterId).sm2PublicKey;
        if (!_sm2.verify(attesterKey, attestationDocument, attestation)) {
            revert OwnerRegistryInvalidAttestation(pseudonym, attesterId);
        }
        bytes32 keyHash = keccak256(sm2PublicKey);
        _checkKeyAvailable(owner, pseudonym, sm2PublicKey, keyHash);

        bytes memory previousKey = owner.sm2PublicKey;
        if (previousKey.length != 0) delete _keys[keccak256(previousKey)];
        _keys[keyHash] = pseudonym;
        owner.pseudonym = pseudonym;
        owner.sm2PublicKey = sm2PublicKey;
        owner.attesterId = attesterId;
        owner.attestation = attestation;
        owner.attestedAt = uint64(block.timestamp);
        owner.keyVersion += 1;
        owner.revoked = false;
        emit OwnerAttested(
            pseudonym, attesterId, owner.keyVersion, sm2PublicKey, previousKey, attestationDocument, attestation
        );
    }

    /// @inheritdoc IOwnerRegistry
    function revokeAttestation(bytes32 pseudonym, bytes32 reason) external {
        bytes32 attesterId = _registry.requireIdentityAuthority(msg.sender);
        Owner storage owner = _owners[pseudonym];
        if (owner.keyVersion == 0) revert OwnerRegistryUnknownOwner(pseudonym);
        if (owner.revoked) revert OwnerRegistryAlreadyRevoked(pseudonym);

        owner.revoked = true;
        emit OwnerAttestationRevoked(pseudonym, attesterId, reason);
    }

    /// @inheritdoc IOwnerRegistry
    function getOwner(bytes32 pseudonym) external view returns (Owner memory) {
        return _owners[pseudonym];
    }

    /// @inheritdoc IOwnerRegistry
    function isAttested(bytes32 pseudonym) external view returns (bool) {
        Owner storage owner = _owners[pseudonym];
        return owner.keyVersion != 0 && !owner.revoked;
    }

    /// @inheritdoc IOwnerRegistry
    function pseudonymOf(bytes calldata sm2PublicKey) external view returns (bytes32) {
        return _keys[keccak256(sm2PublicKey)];
    }

    /// @inheritdoc IOwnerRegistry
    function registry() external view returns (IConsortiumRegistry) {
        return _registry;
    }

    /// @inheritdoc IOwnerRegistry
    function version() external pure returns (string memory) {
        return "0.3.0";
    }

    /// @dev The key must be free, or be this owner's current key being re-attested after revocation.
    function _checkKeyAvailable(Owner storage owner, bytes32 pseudonym, bytes calldata key, bytes32 keyHash)
        private
        view
    {
        bytes32 bound = _keys[keyHash];
        if (bound == bytes32(0)) return;
        if (bound != pseudonym) revert OwnerRegistrySm2KeyBound(key, bound);
        if (!owner.revoked) revert OwnerRegistryKeyUnchanged(pseudonym);
    }
}
