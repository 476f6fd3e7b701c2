"""DataCatalogue: the committee registers, updates, deactivates and reactivates resources;
a provider moves its own endpoint; every refusal."""

from __future__ import annotations

from typing import Any

import pytest

from quancheng.chain import InstitutionStatus, Role, code32, purposes_mask
from quancheng.chain.errors import (
    ConsortiumRegistryUnknownAccount,
    ConsortiumRegistryWrongRole,
    DataCatalogueDuplicateResource,
    DataCatalogueEmptyEndpoint,
    DataCatalogueEmptyFields,
    DataCatalogueInvalidField,
    DataCatalogueInvalidPurposes,
    DataCatalogueInvalidResourceId,
    DataCatalogueInvalidSchemaDigest,
    DataCatalogueInvalidSensitivity,
    DataCatalogueNotProvider,
    DataCatalogueNotResourceProvider,
    DataCatalogueProviderNotActive,
    DataCatalogueResourceActive,
    DataCatalogueResourceInactive,
    DataCatalogueUnknownResource,
)
from quancheng.crypto import sm3
from tests.utils.chain_factories import (
    Member,
    TestNetwork,
    admit,
    fresh_account,
    register_resource,
    suspend,
    unique_code,
)

SCHEMA = sm3(b'{"fields":["plate","status"]}')
FIELDS = [code32("plate"), code32("status")]
PURPOSES = purposes_mask(1, 7, 255)


def _register(
    net: TestNetwork, provider_id: bytes, resource_id: bytes | None = None, **changes: Any
):  # type: ignore[no-untyped-def]
    args: dict[str, Any] = {
        "resourceId": resource_id or code32(unique_code("vehicle")),
        "providerId": provider_id,
        "fields": FIELDS,
        "schemaDigest": SCHEMA,
        "sensitivity": 2,
        "allowedPurposes": PURPOSES,
        "endpoint": "https://vmo.gateway.example/v1",
    }
    args.update(changes)
    return net.catalogue.functions.register(*args.values())


def _update(net: TestNetwork, resource_id: bytes, **changes: Any):  # type: ignore[no-untyped-def]
    args: dict[str, Any] = {
        "resourceId": resource_id,
        "fields": FIELDS,
        "schemaDigest": SCHEMA,
        "sensitivity": 2,
        "allowedPurposes": PURPOSES,
        "endpoint": "https://vmo.gateway.example/v2",
    }
    args.update(changes)
    return net.catalogue.functions.update(*args.values())


def test_committee_registers_a_resource_of_an_active_provider(
    net: TestNetwork, provider: Member
) -> None:
    resource_id = code32(unique_code("vehicle.registration"))
    receipt = net.send(net.committee[1], _register(net, provider.id, resource_id))
    assert [(e.name, e.args) for e in net.events(receipt)] == [
        ("ResourceRegistered", {
            "resourceId": resource_id, "providerId": provider.id,
            "committeeMemberId": net.committee[1].id, "fields": FIELDS, "schemaDigest": SCHEMA,
            "sensitivity": 2, "allowedPurposes": PURPOSES,
            "endpoint": "https://vmo.gateway.example/v1",
        }),
    ]  # fmt: skip
    record = net.contracts.resource(resource_id)
    now = net.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert record.model_dump() == {
        "id": resource_id, "provider_id": provider.id, "fields": FIELDS, "schema_digest": SCHEMA,
        "sensitivity": 2, "allowed_purposes": PURPOSES,
        "endpoint": "https://vmo.gateway.example/v1", "active": True, "version": 1,
        "registered_at": now, "updated_at": now,
    }  # fmt: skip
    assert list(net.catalogue.functions.lookup(resource_id).call()) == [provider.id, True, PURPOSES]
    allows = net.catalogue.functions.allowsPurpose
    assert [allows(resource_id, p).call() for p in (0, 1, 2, 7, 255)] == [
        False, True, False, True, True,
    ]  # fmt: skip
    assert resource_id in net.catalogue.functions.resourceIds().call()
    assert net.catalogue.functions.version().call() == "0.1.0"


def test_update_replaces_the_description_and_bumps_the_version(
    net: TestNetwork, resource: bytes
) -> None:
    new_fields = [code32("plate"), code32("status"), code32("colour")]
    receipt = net.send(
        net.committee[2],
        _update(net, resource, fields=new_fields, sensitivity=4, allowedPurposes=4),
    )
    assert [(e.name, e.args) for e in net.events(receipt)] == [
        ("ResourceUpdated", {
            "resourceId": resource, "version": 2, "committeeMemberId": net.committee[2].id,
            "fields": new_fields, "schemaDigest": SCHEMA, "sensitivity": 4, "allowedPurposes": 4,
            "endpoint": "https://vmo.gateway.example/v2",
        }),
    ]  # fmt: skip
    record = net.contracts.resource(resource)
    assert (record.version, record.fields, record.sensitivity) == (2, new_fields, 4)
    assert record.allows(2) and not record.allows(1)


def test_provider_moves_its_own_endpoint(
    net: TestNetwork, provider: Member, resource: bytes
) -> None:
    receipt = net.send(
        provider, net.catalogue.functions.setEndpoint(resource, "https://new.example")
    )
    assert [(e.name, e.args) for e in net.events(receipt)] == [
        ("ResourceEndpointChanged", {
            "resourceId": resource, "changedBy": provider.id, "endpoint": "https://new.example",
        }),
    ]  # fmt: skip
    record = net.contracts.resource(resource)
    assert (record.endpoint, record.version) == ("https://new.example", 1)


def test_endpoint_change_by_another_provider_is_refused(net: TestNetwork, resource: bytes) -> None:
    other = admit(net, Role.PROVIDER)
    with pytest.raises(DataCatalogueNotResourceProvider) as exc:
        net.send(other, net.catalogue.functions.setEndpoint(resource, "https://evil.example"))
    assert (exc.value.resource_id, exc.value.caller_id) == (resource, other.id)


def test_endpoint_change_by_a_committee_member_is_refused(
    net: TestNetwork, resource: bytes
) -> None:
    with pytest.raises(ConsortiumRegistryWrongRole) as exc:
        net.send(
            net.committee[0], net.catalogue.functions.setEndpoint(resource, "https://x.example")
        )
    assert (exc.value.required, exc.value.actual) == (Role.PROVIDER, Role.COMMITTEE)


def test_deactivation_and_reactivation(net: TestNetwork, resource: bytes) -> None:
    receipt = net.send(net.committee[0], net.catalogue.functions.deactivate(resource))
    assert [(e.name, e.args) for e in net.events(receipt)] == [
        ("ResourceDeactivated", {"resourceId": resource, "committeeMemberId": net.committee[0].id}),
    ]
    assert not net.contracts.resource(resource).active
    assert not net.catalogue.functions.allowsPurpose(resource, 1).call()
    with pytest.raises(DataCatalogueResourceInactive) as inactive:
        net.send(net.committee[0], net.catalogue.functions.deactivate(resource))
    assert inactive.value.resource_id == resource

    receipt = net.send(net.committee[1], net.catalogue.functions.reactivate(resource))
    assert [(e.name, e.args) for e in net.events(receipt)] == [
        ("ResourceReactivated", {"resourceId": resource, "committeeMemberId": net.committee[1].id}),
    ]
    with pytest.raises(DataCatalogueResourceActive) as active:
        net.send(net.committee[0], net.catalogue.functions.reactivate(resource))
    assert active.value.resource_id == resource


# ----------------------------------------------------------------------------- refusals


def test_registration_of_a_duplicate_id_is_refused(
    net: TestNetwork, provider: Member, resource: bytes
) -> None:
    with pytest.raises(DataCatalogueDuplicateResource) as exc:
        net.send(net.committee[0], _register(net, provider.id, resource))
    assert exc.value.resource_id == resource


def test_registration_with_a_zero_id_is_refused(net: TestNetwork, provider: Member) -> None:
    with pytest.raises(DataCatalogueInvalidResourceId):
        net.send(net.committee[0], _register(net, provider.id, resourceId=b"\x00" * 32))


def test_registration_for_a_non_provider_is_refused(net: TestNetwork, consumer: Member) -> None:
    with pytest.raises(DataCatalogueNotProvider) as exc:
        net.send(net.committee[0], _register(net, consumer.id))
    assert (exc.value.provider_id, exc.value.role) == (consumer.id, Role.CONSUMER)


def test_registration_for_an_unknown_or_suspended_provider_is_refused(
    net: TestNetwork, provider: Member
) -> None:
    ghost = code32(unique_code("ghost"))
    with pytest.raises(DataCatalogueProviderNotActive) as unknown:
        net.send(net.committee[0], _register(net, ghost))
    assert (unknown.value.provider_id, unknown.value.status) == (ghost, InstitutionStatus.NONE)
    suspend(net, provider)
    with pytest.raises(DataCatalogueProviderNotActive) as suspended:
        net.send(net.committee[0], _register(net, provider.id))
    assert suspended.value.status is InstitutionStatus.SUSPENDED


@pytest.mark.parametrize("sensitivity", [0, 5])
def test_sensitivity_outside_one_to_four_is_refused(
    net: TestNetwork, provider: Member, sensitivity: int
) -> None:
    resource_id = code32(unique_code("res"))
    with pytest.raises(DataCatalogueInvalidSensitivity) as exc:
        net.send(
            net.committee[0], _register(net, provider.id, resource_id, sensitivity=sensitivity)
        )
    assert (exc.value.resource_id, exc.value.sensitivity) == (resource_id, sensitivity)


@pytest.mark.parametrize("mask", [0, 1, 1 | (1 << 3)], ids=["none", "purpose-0", "purpose-0-and-3"])
def test_purpose_mask_without_purposes_or_with_code_zero_is_refused(
    net: TestNetwork, provider: Member, mask: int
) -> None:
    with pytest.raises(DataCatalogueInvalidPurposes) as exc:
        net.send(net.committee[0], _register(net, provider.id, allowedPurposes=mask))
    assert exc.value.allowed_purposes == mask


def test_empty_field_list_is_refused(net: TestNetwork, provider: Member) -> None:
    with pytest.raises(DataCatalogueEmptyFields):
        net.send(net.committee[0], _register(net, provider.id, fields=[]))


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ([code32("plate"), b"\x00" * 32], b"\x00" * 32),
        ([code32("plate"), code32("plate")], code32("plate")),
    ],
    ids=["zero-field", "repeated-field"],
)
def test_zero_or_repeated_field_is_refused(
    net: TestNetwork, provider: Member, fields: list[bytes], bad: bytes
) -> None:
    with pytest.raises(DataCatalogueInvalidField) as exc:
        net.send(net.committee[0], _register(net, provider.id, fields=fields))
    assert exc.value.field == bad


def test_zero_schema_digest_is_refused(net: TestNetwork, provider: Member) -> None:
    with pytest.raises(DataCatalogueInvalidSchemaDigest):
        net.send(net.committee[0], _register(net, provider.id, schemaDigest=b"\x00" * 32))


def test_empty_endpoint_is_refused(net: TestNetwork, provider: Member, resource: bytes) -> None:
    with pytest.raises(DataCatalogueEmptyEndpoint):
        net.send(net.committee[0], _register(net, provider.id, endpoint=""))
    with pytest.raises(DataCatalogueEmptyEndpoint):
        net.send(net.committee[0], _update(net, resource, endpoint=""))
    with pytest.raises(DataCatalogueEmptyEndpoint) as exc:
        net.send(provider, net.catalogue.functions.setEndpoint(resource, ""))
    assert exc.value.resource_id == resource


def test_update_is_checked_like_a_registration(net: TestNetwork, resource: bytes) -> None:
    with pytest.raises(DataCatalogueInvalidSensitivity):
        net.send(net.committee[0], _update(net, resource, sensitivity=9))
    with pytest.raises(DataCatalogueEmptyFields):
        net.send(net.committee[0], _update(net, resource, fields=[]))


def test_changes_to_an_unknown_resource_are_refused(net: TestNetwork, provider: Member) -> None:
    ghost = code32(unique_code("ghost"))
    for sender, fn in (
        (net.committee[0], _update(net, ghost)),
        (net.committee[0], net.catalogue.functions.deactivate(ghost)),
        (net.committee[0], net.catalogue.functions.reactivate(ghost)),
        (provider, net.catalogue.functions.setEndpoint(ghost, "https://x.example")),
    ):
        with pytest.raises(DataCatalogueUnknownResource) as exc:
            net.send(sender, fn)
        assert exc.value.resource_id == ghost
    assert net.contracts.resource(ghost).id == b"\x00" * 32


def test_registration_by_a_provider_is_refused(net: TestNetwork, provider: Member) -> None:
    with pytest.raises(ConsortiumRegistryWrongRole) as exc:
        net.send(provider, _register(net, provider.id))
    assert (exc.value.institution_id, exc.value.required) == (provider.id, Role.COMMITTEE)


def test_writes_by_an_account_of_no_institution_are_refused(
    net: TestNetwork, provider: Member
) -> None:
    resource = register_resource(net, provider)
    stranger = fresh_account(net)
    for fn in (
        _register(net, provider.id),
        _update(net, resource),
        net.catalogue.functions.setEndpoint(resource, "https://x.example"),
        net.catalogue.functions.deactivate(resource),
        net.catalogue.functions.reactivate(resource),
    ):
        with pytest.raises(ConsortiumRegistryUnknownAccount) as exc:
            net.send(stranger, fn)
        assert exc.value.account == stranger.address
