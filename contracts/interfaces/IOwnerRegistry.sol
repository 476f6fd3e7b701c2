// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/**
 * @title IOwnerRegistry
 * @notice Binds a data owner's SM2 public key to a keyed pseudonym of their identity.
 *
 * The identity authority (an ACTIVE institution the committee voted into the identity-authority
 * role, e.g. 大数据局, which runs the real-name check of the government app) computes the
 * pseudonym off chain as an HMAC-SM3 of the owner's identity under a key that never leaves it, so
 * the chain never sees an ID number and nobody can brute-force one from the pseudonym. It signs a
 * canonical attestation document (JCS JSON `quancheng.attestation/1`: pseudonym, owner key,
 * attester code, time) with its own SM2 key and records the signature here; the document itself
 * travels in the OwnerAttested event (emitted, not stored), as a grant document travels in
 * GrantRequested.
 *
 * Trust model: only an identity authority (ConsortiumRegistry.requireIdentityAuthority) may
 * attest, re-bind or revoke; no committee member can on its own. This contract checks that the
 * owner key is a point of the SM2 curve and verifies the attester's SM2 signature over the
 * document against the attester's registered key (through the Sm2Verifier contract). It does not
 * parse the document: gateways and auditors check off chain that it names this pseudonym, key and
 * attester. A re-binding (a new key for an attested owner) is visible to the owner and the audit:
 * OwnerAttested carries the previous key and the attester.
 */
interface IOwnerRegistry {
    /// @notice An owner's current attested key.
    struct Owner {
        /// @dev Keyed pseudonym of the owner's identity (HMAC-SM3, computed off chain).
        bytes32 pseudonym;
        /// @dev Uncompressed SM2 public key of the owner, 65 bytes starting 0x04.
        bytes sm2PublicKey;
        /// @dev Institution id of the identity authority that attested the binding.
        bytes32 attesterId;
        /// @dev Attester's DER SM2 signature over the canonical attestation document.
        bytes attestation;
        /// @dev Block time of the current attestation.
        uint64 attestedAt;
        /// @dev Number of attestations so far (1 for the first key; +1 per rotation).
        uint32 keyVersion;
        /// @dev True once revoked, until a new attestation.
        bool revoked;
    }

    // ----------------------------------------------------------------------------- events

    /// @notice A key was attested for a pseudonym: a first binding, a rotation or a re-attestation
    /// after revocation. `previousSm2PublicKey` is empty for a first binding; `attestationDocument`
    /// is the canonical attestation document and `attestation` the attester's signature over it.
    event OwnerAttested(
        bytes32 indexed pseudonym,
        bytes32 indexed attesterId,
        uint32 indexed keyVersion,
        bytes sm2PublicKey,
        bytes previousSm2PublicKey,
        bytes attestationDocument,
        bytes attestation
    );

    /// @notice The attestation of a pseudonym was revoked (`reason`: short ASCII code).
    event OwnerAttestationRevoked(bytes32 indexed pseudonym, bytes32 indexed attesterId, bytes32 reason);

    // ----------------------------------------------------------------------------- errors

    /// @notice The pseudonym is zero.
    error OwnerRegistryInvalidPseudonym(bytes32 pseudonym);
    /// @notice The key is not 65 bytes starting 0x04.
    error OwnerRegistryInvalidSm2PublicKey(bytes sm2PublicKey);
    /// @notice The attestation signature is empty.
    error OwnerRegistryEmptyAttestation(bytes32 pseudonym);
    /// @notice The attestation document is empty.
    error OwnerRegistryEmptyAttestationDocument(bytes32 pseudonym);
    /// @notice The key is bound to another pseudonym.
    error OwnerRegistrySm2KeyBound(bytes sm2PublicKey, bytes32 pseudonym);
    /// @notice A re-attestation of the key the pseudonym already has, while not revoked.
    error OwnerRegistryKeyUnchanged(bytes32 pseudonym);
    /// @notice No owner has this pseudonym.
    error OwnerRegistryUnknownOwner(bytes32 pseudonym);
    /// @notice The attestation is already revoked.
    error OwnerRegistryAlreadyRevoked(bytes32 pseudonym);
    /// @notice The attester's SM2 signature over the attestation document does not verify with its registered key.
    error OwnerRegistryInvalidAttestation(bytes32 pseudonym, bytes32 attesterId);

    // ----------------------------------------------------------------------------- writes

    /**
     * @notice Attest that `sm2PublicKey` belongs to the owner behind `pseudonym` (ACTIVE
     * identity authorities only). A first binding, a key rotation or a re-attestation after
     * revocation; history is in the OwnerAttested events.
     * @param attestationDocument The canonical attestation document (JCS JSON naming `pseudonym`,
     * `sm2PublicKey`, the attester's institution code and the time); emitted, not stored.
     * @param attestation The attester's DER SM2 signature over `attestationDocument`.
     */
    function attest(
        bytes32 pseudonym,
        bytes calldata sm2PublicKey,
        bytes calldata attestationDocument,
        bytes calldata attestation
    ) external;

    /// @notice Revoke the attestation of `pseudonym` (ACTIVE identity authorities only).
    function revokeAttestation(bytes32 pseudonym, bytes32 reason) external;

    // ----------------------------------------------------------------------------- views

    /// @notice The owner record (all fields zero if unknown).
    function getOwner(bytes32 pseudonym) external view returns (Owner memory);

    /// @notice True when the pseudonym has an attested key that is not revoked.
    function isAttested(bytes32 pseudonym) external view returns (bool);

    /// @notice The pseudonym whose current key is `sm2PublicKey` (zero if none).
    function pseudonymOf(bytes calldata sm2PublicKey) external view returns (bytes32);

    /// @notice The consortium registry this contract asks.
    function registry() external view returns (IConsortiumRegistry);

    /// @notice The interface version of this contract.
    function version() external pure returns (string memory);
}
