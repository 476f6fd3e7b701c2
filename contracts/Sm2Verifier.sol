// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ISm2Verifier} from "./interfaces/ISm2Verifier.sol";
import {Sm2} from "./crypto/Sm2.sol";
import {Sm3} from "./crypto/Sm3.sol";

/**
 * @title Sm2Verifier
 * @notice Stateless SM3 and SM2 (default user ID) checks, deployed once and called by the
 * other contracts.
 */
contract Sm2Verifier is ISm2Verifier {
    /// @inheritdoc ISm2Verifier
    function sm3(bytes calldata data) external pure returns (bytes32) {
        return Sm3.hash(data);
    }

    /// @inheritdoc ISm2Verifier
    function isValidPublicKey(bytes calldata publicKey) external pure returns (bool) {
        (bool ok, , ) = Sm2.parsePublicKey(publicKey);
        return ok;
    }

    /// @inheritdoc ISm2Verifier
    function userHash(bytes calldata publicKey) external pure returns (bytes32) {
        (uint256 x, uint256 y) = _checkPublicKey(publicKey);
        return Sm2.userHash(x, y);
    }

    /// @inheritdoc ISm2Verifier
    function verify(
        bytes calldata publicKey,
        bytes calldata message,
        bytes calldata derSignature
    ) external view returns (bool) {
        (bool keyOk, uint256 x, uint256 y) = Sm2.parsePublicKey(publicKey);
        if (!keyOk) return false;
        return _verify(x, y, Sm2.userHash(x, y), message, derSignature);
    }

    /// @inheritdoc ISm2Verifier
    function verifyWithUserHash(
        bytes calldata publicKey,
        bytes32 za,
        bytes calldata message,
        bytes calldata derSignature
    ) external view returns (bool) {
        (bool keyOk, uint256 x, uint256 y) = Sm2.parsePublicKey(publicKey);
        if (!keyOk) return false;
        return _verify(x, y, za, message, derSignature);
    }

    /// @inheritdoc ISm2Verifier
    function version() external pure returns (string memory) {
        return "0.1.0";
    }

    /// @dev The coordinates of a valid key; reverts with the named error otherwise.
    function _checkPublicKey(bytes calldata publicKey) private pure returns (uint256 x, uint256 y) {
        bool ok;
        (ok, x, y) = Sm2.parsePublicKey(publicKey);
        if (!ok) revert Sm2VerifierInvalidPublicKey(publicKey);
    }

    /// @dev Parse the DER signature and verify it; false for malformed DER.
    function _verify(
        uint256 x,
        uint256 y,
        bytes32 za,
        bytes calldata message,
        bytes calldata derSignature
    ) private view returns (bool) {
        (bool sigOk, uint256 r, uint256 s) = Sm2.parseDerSignature(derSignature);
        if (!sigOk) return false;
        return Sm2.verify(x, y, za, message, r, s);
    }
}
