// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";
import {IDataCatalogue} from "./interfaces/IDataCatalogue.sol";

/**
 * @title DataCatalogue
 * @notice The resources that providers serve, registered by the committee.
 */
contract DataCatalogue is IDataCatalogue {
    uint8 private constant MAX_SENSITIVITY = 4;

    IConsortiumRegistry private immutable _registry;

    mapping(bytes32 resourceId => Resource resource) private _resources;
    bytes32[] private _resourceIds;

    constructor(IConsortiumRegistry registry_) {
        _registry = registry_;
    }

    // ----------------------------------------------------------------------------- writes

    /// @inheritdoc IDataCatalogue
    function register(
        bytes32 resourceId,
        bytes32 providerId,
        bytes32[] calldata fields,
        bytes32 schemaDigest,
        uint8 sensitivity,
        uint256 allowedPurposes,
        string calldata endpoint
    ) external {
        bytes32 memberId = _registry.requireActive(msg.sender, IConsortiumRegistry.Role.COMMITTEE);
        if (resourceId == bytes32(0)) revert DataCatalogueInvalidResourceId(resourceId);
        if (_resources[resourceId].id != bytes32(0)) revert DataCatalogueDuplicateResource(resourceId);
        _checkProvider(providerId);
        _checkDescription(resourceId, fields, schemaDigest, sensitivity, allowedPurposes, endpoint);

        Resource storage r = _resources[resourceId];
        r.id = resourceId;
        r.providerId = providerId;
        r.fields = fields;
        r.schemaDigest = schemaDigest;
        r.sensitivity = sensitivity;
        r.allowedPurposes = allowedPurposes;
        r.endpoint = endpoint;
        r.active = true;
        r.version = 1;
        r.registeredAt = uint64(block.timestamp);
        r.updatedAt = uint64(block.timestamp);
        _resourceIds.push(resourceId);
        emit ResourceRegistered(
            resourceId, providerId, memberId, fields, schemaDigest, sensitivity, allowedPurposes, endpoint
        );
    }

    /// @inheritdoc IDataCatalogue
    function update(
        bytes32 resourceId,
        bytes32[] calldata fields,
        bytes32 schemaDigest,
        uint8 sensitivity,
        uint256 allowedPurposes,
        string calldata endpoint
    ) external {
        bytes32 memberId = _registry.requireActive(msg.sender, IConsortiumRegistry.Role.COMMITTEE);
        Resource storage r = _resourceAt(resourceId);
        _checkDescription(resourceId, fields, schemaDigest, sensitivity, allowedPurposes, endpoint);

        r.fields = fields;
        r.schemaDigest = schemaDigest;
        r.sensitivity = sensitivity;
        r.allowedPurposes = allowedPurposes;
        r.endpoint = endpoint;
        r.version += 1;
        r.updatedAt = uint64(block.timestamp);
        emit ResourceUpdated(
            resourceId, r.version, memberId, fields, schemaDigest, sensitivity, allowedPurposes, endpoint
        );
    }

    /// @inheritdoc IDataCatalogue
    function setEndpoint(bytes32 resourceId, string calldata endpoint) external {
        bytes32 callerId = _registry.requireActive(msg.sender, IConsortiumRegistry.Role.PROVIDER);
        Resource storage r = _resourceAt(resourceId);
        if (r.providerId != callerId) revert DataCatalogueNotResourceProvider(resourceId, callerId);
        if (bytes(endpoint).length == 0) revert DataCatalogueEmptyEndpoint(resourceId);

        r.endpoint = endpoint;
        r.updatedAt = uint64(block.timestamp);
        emit ResourceEndpointChanged(resourceId, callerId, endpoint);
    }

    /// @inheritdoc IDataCatalogue
    function deactivate(bytes32 resourceId) external {
        bytes32 memberId = _registry.requireActive(msg.sender, IConsortiumRegistry.Role.COMMITTEE);
        Resource storage r = _resourceAt(resourceId);
        if (!r.active) revert DataCatalogueResourceInactive(resourceId);

        r.active = false;
        r.updatedAt = uint64(block.timestamp);
        emit ResourceDeactivated(resourceId, memberId);
    }

    /// @inheritdoc IDataCatalogue
    function reactivate(bytes32 resourceId) external {
        bytes32 memberId = _registry.requireActive(msg.sender, IConsortiumRegistry.Role.COMMITTEE);
        Resource storage r = _resourceAt(resourceId);
        if (r.active) revert DataCatalogueResourceActive(resourceId);

        r.active = true;
        r.updatedAt = uint64(block.timestamp);
        emit ResourceReactivated(resourceId, memberId);
    }

    // ----------------------------------------------------------------------------- views

    /// @inheritdoc IDataCatalogue
    function getResource(bytes32 resourceId) external view returns (Resource memory) {
        return _resources[resourceId];
    }

    /// @inheritdoc IDataCatalogue
    function lookup(bytes32 resourceId)
        external
        view
        returns (bytes32 providerId, bool active, uint256 allowedPurposes)
    {
        Resource storage r = _resources[resourceId];
        return (r.providerId, r.active, r.allowedPurposes);
    }

    /// @inheritdoc IDataCatalogue
    function allowsPurpose(bytes32 resourceId, uint8 purpose) external view returns (bool) {
        Resource storage r = _resources[resourceId];
        return r.active && purpose != 0 && (r.allowedPurposes >> purpose) & 1 == 1;
    }

    /// @inheritdoc IDataCatalogue
    function resourceIds() external view returns (bytes32[] memory) {
        return _resourceIds;
    }

    /// @inheritdoc IDataCatalogue
    function registry() external view returns (IConsortiumRegistry) {
        return _registry;
    }

    /// @inheritdoc IDataCatalogue
    function version() external pure returns (string memory) {
        return "0.1.0";
    }

    // ----------------------------------------------------------------------------- checks

    function _resourceAt(bytes32 resourceId) private view returns (Resource storage r) {
        r = _resources[resourceId];
        if (r.id == bytes32(0)) revert DataCatalogueUnknownResource(resourceId);
    }

    function _checkProvider(bytes32 providerId) private view {
        IConsortiumRegistry.Institution memory provider = _registry.getInstitution(providerId);
        if (provider.status != IConsortiumRegistry.InstitutionStatus.ACTIVE) {
            revert DataCatalogueProviderNotActive(providerId, provider.status);
        }
        if (provider.role != IConsortiumRegistry.Role.PROVIDER) {
            revert DataCatalogueNotProvider(providerId, provider.role);
        }
    }

    function _checkDescription(
        bytes32 resourceId,
        bytes32[] calldata fields,
        bytes32 schemaDigest,
        uint8 sensitivity,
        uint256 allowedPurposes,
        string calldata endpoint
    ) private pure {
        _checkFields(resourceId, fields);
        if (schemaDigest == bytes32(0)) revert DataCatalogueInvalidSchemaDigest(resourceId);
        if (sensitivity == 0 || sensitivity > MAX_SENSITIVITY) {
            revert DataCatalogueInvalidSensitivity(resourceId, sensitivity);
        }
        if (allowedPurposes == 0 || allowedPurposes & 1 == 1) {
            revert DataCatalogueInvalidPurposes(resourceId, allowedPurposes);
        }
        if (bytes(endpoint).length == 0) revert DataCatalogueEmptyEndpoint(resourceId);
    }

    /// @dev Quadratic, but a resource has tens of fields at most.
    function _checkFields(bytes32 resourceId, bytes32[] calldata fields) private pure {
        uint256 n = fields.length;
        if (n == 0) revert DataCatalogueEmptyFields(resourceId);
        for (uint256 i = 0; i < n; ++i) {
            bytes32 field = fields[i];
            if (field == bytes32(0)) revert DataCatalogueInvalidField(resourceId, field);
            for (uint256 j = 0; j < i; ++j) {
                if (fields[j] == field) revert DataCatalogueInvalidField(resourceId, field);
            }
        }
    }
}
