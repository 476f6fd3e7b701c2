// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/**
 * @title IDataCatalogue
 * @notice The data resources that provider institutions serve through their gateways: which
 * fields, under which schema, how sensitive, for which purposes, and where to ask.
 *
 * The committee registers, updates and deactivates resources (the provider must be an ACTIVE
 * PROVIDER); a provider may move its own gateway endpoint. The catalogue holds no data, only
 * its description: field names, the SM3 digest of the canonical schema (computed off chain,
 * the EVM has no SM3) and a purpose bitmask over the purpose-code catalogue 1..255.
 */
interface IDataCatalogue {
    /// @notice A data resource served by one provider.
    struct Resource {
        /// @dev Short ASCII code, left-aligned (e.g. bytes32("vehicle.registration")).
        bytes32 id;
        /// @dev Institution id of the provider that serves it.
        bytes32 providerId;
        /// @dev Field names, left-aligned ASCII, non-zero and distinct.
        bytes32[] fields;
        /// @dev SM3 of the canonical schema document (computed off chain).
        bytes32 schemaDigest;
        /// @dev Sensitivity level 1 (public) to 4 (most sensitive).
        uint8 sensitivity;
        /// @dev Bit p set ⇔ purpose code p (1..255) is allowed; bit 0 is never set.
        uint256 allowedPurposes;
        /// @dev URL of the provider's gateway for this resource.
        string endpoint;
        /// @dev False once deactivated: no new grants may name it.
        bool active;
        /// @dev 1 at registration, incremented by each committee update.
        uint32 version;
        /// @dev Block time of registration.
        uint64 registeredAt;
        /// @dev Block time of the last change.
        uint64 updatedAt;
    }

    // ----------------------------------------------------------------------------- events

    /// @notice The committee registered a resource.
    event ResourceRegistered(
        bytes32 indexed resourceId,
        bytes32 indexed providerId,
        bytes32 indexed committeeMemberId,
        bytes32[] fields,
        bytes32 schemaDigest,
        uint8 sensitivity,
        uint256 allowedPurposes,
        string endpoint
    );

    /// @notice The committee updated a resource; `version` is its new version.
    event ResourceUpdated(
        bytes32 indexed resourceId,
        uint32 indexed version,
        bytes32 indexed committeeMemberId,
        bytes32[] fields,
        bytes32 schemaDigest,
        uint8 sensitivity,
        uint256 allowedPurposes,
        string endpoint
    );

    /// @notice The gateway endpoint of a resource changed.
    event ResourceEndpointChanged(bytes32 indexed resourceId, bytes32 indexed changedBy, string endpoint);

    /// @notice The committee deactivated a resource.
    event ResourceDeactivated(bytes32 indexed resourceId, bytes32 indexed committeeMemberId);

    /// @notice The committee reactivated a resource.
    event ResourceReactivated(bytes32 indexed resourceId, bytes32 indexed committeeMemberId);

    // ----------------------------------------------------------------------------- errors

    /// @notice No resource has this id.
    error DataCatalogueUnknownResource(bytes32 resourceId);
    /// @notice A resource with this id exists already.
    error DataCatalogueDuplicateResource(bytes32 resourceId);
    /// @notice The id is zero.
    error DataCatalogueInvalidResourceId(bytes32 resourceId);
    /// @notice Sensitivity outside 1..4.
    error DataCatalogueInvalidSensitivity(bytes32 resourceId, uint8 sensitivity);
    /// @notice No purpose allowed, or bit 0 (no purpose code 0) set.
    error DataCatalogueInvalidPurposes(bytes32 resourceId, uint256 allowedPurposes);
    /// @notice The provider institution does not hold the PROVIDER role.
    error DataCatalogueNotProvider(bytes32 providerId, IConsortiumRegistry.Role role);
    /// @notice The provider institution is not ACTIVE (NONE when it does not exist).
    error DataCatalogueProviderNotActive(bytes32 providerId, IConsortiumRegistry.InstitutionStatus status);
    /// @notice The field list is empty.
    error DataCatalogueEmptyFields(bytes32 resourceId);
    /// @notice A field name is zero or repeated.
    error DataCatalogueInvalidField(bytes32 resourceId, bytes32 field);
    /// @notice The schema digest is zero.
    error DataCatalogueInvalidSchemaDigest(bytes32 resourceId);
    /// @notice The endpoint is empty.
    error DataCatalogueEmptyEndpoint(bytes32 resourceId);
    /// @notice The caller's institution is not the resource's provider.
    error DataCatalogueNotResourceProvider(bytes32 resourceId, bytes32 callerId);
    /// @notice Deactivation of an inactive resource.
    error DataCatalogueResourceInactive(bytes32 resourceId);
    /// @notice Reactivation of an active resource.
    error DataCatalogueResourceActive(bytes32 resourceId);

    // ----------------------------------------------------------------------------- writes

    /// @notice Register a resource (ACTIVE COMMITTEE members only); version 1, active.
    function register(
        bytes32 resourceId,
        bytes32 providerId,
        bytes32[] calldata fields,
        bytes32 schemaDigest,
        uint8 sensitivity,
        uint256 allowedPurposes,
        string calldata endpoint
    ) external;

    /// @notice Replace a resource's description (ACTIVE COMMITTEE members only); bumps its version.
    /// @dev The provider cannot change: a resource served by another provider is another resource.
    function update(
        bytes32 resourceId,
        bytes32[] calldata fields,
        bytes32 schemaDigest,
        uint8 sensitivity,
        uint256 allowedPurposes,
        string calldata endpoint
    ) external;

    /// @notice Move the gateway endpoint (the resource's own ACTIVE PROVIDER only).
    function setEndpoint(bytes32 resourceId, string calldata endpoint) external;

    /// @notice Deactivate a resource (ACTIVE COMMITTEE members only): no new grants may name it.
    function deactivate(bytes32 resourceId) external;

    /// @notice Reactivate a deactivated resource (ACTIVE COMMITTEE members only).
    function reactivate(bytes32 resourceId) external;

    // ----------------------------------------------------------------------------- views

    /// @notice The resource with this id (all fields zero if unknown).
    function getResource(bytes32 resourceId) external view returns (Resource memory);

    /**
     * @notice The facts other contracts check, without copying the whole record.
     * @return providerId The provider's institution id (zero if the resource is unknown).
     * @return active Whether the resource is active.
     * @return allowedPurposes The purpose bitmask.
     */
    function lookup(bytes32 resourceId)
        external
        view
        returns (bytes32 providerId, bool active, uint256 allowedPurposes);

    /// @notice True when the resource exists, is active and allows purpose code `purpose`.
    function allowsPurpose(bytes32 resourceId, uint8 purpose) external view returns (bool);

    /// @notice Ids of all registered resources, in registration order.
    function resourceIds() external view returns (bytes32[] memory);

    /// @notice The consortium registry this catalogue asks.
    function registry() external view returns (IConsortiumRegistry);

    /// @notice The interface version of this contract.
    function version() external pure returns (string memory);
}
