// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/**
 * @title Sm2PublicKeys
 * @notice Shape check of SM2 public keys (GB/T 32918, recommended 256-bit curve).
 * @dev Only the encoding is checked: 65 bytes, 0x04 ‖ x ‖ y. Whether the point lies on the
 * curve is checked off chain by whoever verifies a signature with the key (the EVM has no SM2
 * precompile). Each contract reports a malformed key with its own named error.
 */
library Sm2PublicKeys {
    /// @dev Length of an uncompressed public key: 0x04 ‖ x (32 bytes) ‖ y (32 bytes).
    uint256 internal constant UNCOMPRESSED_LENGTH = 65;

    /// @notice True when `key` is 65 bytes long and starts with 0x04.
    function isUncompressed(bytes memory key) internal pure returns (bool) {
        return key.length == UNCOMPRESSED_LENGTH && key[0] == 0x04;
    }
}
