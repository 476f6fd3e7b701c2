// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ISm2Verifier
 * @notice SM3 digests and SM2 signature checks (GB/T 32905, GB/T 32918) for the other
 * contracts: the EVM has no SM2 or SM3 precompile, so they are computed here in EVM code.
 *
 * Keys are uncompressed points 0x04 ‖ x ‖ y of the recommended curve sm2p256v1; signatures
 * are strict DER SEQUENCE { INTEGER r, INTEGER s } over e = SM3(Z_A ‖ message), with Z_A for
 * the default user ID "1234567812345678". The contract is stateless and deployed once.
 */
interface ISm2Verifier {
    /// @notice The public key is not 65 bytes 0x04 ‖ x ‖ y with (x, y) a point of the curve.
    /// @param publicKey The key as given.
    error Sm2VerifierInvalidPublicKey(bytes publicKey);

    /// @notice SM3 digest of `data`.
    /// @param data The bytes to hash.
    /// @return The 32-byte SM3 digest.
    function sm3(bytes calldata data) external pure returns (bytes32);

    /// @notice True when `publicKey` is 65 bytes 0x04 ‖ x ‖ y and (x, y) is a point of the
    /// curve (not infinity).
    /// @param publicKey The encoded public key.
    function isValidPublicKey(bytes calldata publicKey) external pure returns (bool);

    /// @notice Z_A of `publicKey` with the default user ID.
    /// @dev Reverts with {Sm2VerifierInvalidPublicKey} if the key is invalid.
    /// @param publicKey The encoded public key (0x04 ‖ x ‖ y).
    /// @return SM3(ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ x ‖ y).
    function userHash(bytes calldata publicKey) external pure returns (bytes32);

    /// @notice True when `derSignature` is a valid SM2 signature of `message` by `publicKey`
    /// (default user ID).
    /// @dev Returns false (never reverts) for a malformed key, malformed DER, r or s out of
    /// range, or a wrong signature.
    /// @param publicKey The signer's key, 0x04 ‖ x ‖ y.
    /// @param message The signed message (not its digest).
    /// @param derSignature DER SEQUENCE { INTEGER r, INTEGER s }.
    function verify(
        bytes calldata publicKey,
        bytes calldata message,
        bytes calldata derSignature
    ) external view returns (bool);

    /// @notice Same as {verify} with a precomputed Z_A: callers that cache Z_A per key save
    /// its four SM3 blocks.
    /// @dev `za` is trusted to be {userHash} of `publicKey`: a wrong one only makes valid
    /// signatures fail.
    /// @param publicKey The signer's key, 0x04 ‖ x ‖ y.
    /// @param za Z_A of `publicKey` with the default user ID.
    /// @param message The signed message (not its digest).
    /// @param derSignature DER SEQUENCE { INTEGER r, INTEGER s }.
    function verifyWithUserHash(
        bytes calldata publicKey,
        bytes32 za,
        bytes calldata message,
        bytes calldata derSignature
    ) external view returns (bool);

    /// @notice Version of this contract's code.
    function version() external pure returns (string memory);
}
