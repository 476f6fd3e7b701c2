"""Errors of the generator: bad arguments, rooted in the project's exception tree."""

from __future__ import annotations

from quancheng.errors import ConfigError


class DatagenError(ConfigError):
    """The generator was asked for something it cannot produce."""

    code = "DATAGEN_ERROR"


class UnknownDepartmentError(DatagenError):
    """No department (or table) of that name."""

    code = "DATAGEN_UNKNOWN_DEPARTMENT"

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"unknown department or table {name!r}; known: {', '.join(known)}")


class WorldTooLargeError(DatagenError):
    """More subjects than the identifier space the generator hands out uniquely."""

    code = "DATAGEN_WORLD_TOO_LARGE"

    def __init__(self, what: str, requested: int, limit: int) -> None:
        self.what = what
        self.requested = requested
        self.limit = limit
        super().__init__(f"{requested} {what} requested; at most {limit} are supported")


class DemoCastUnavailableError(DatagenError):
    """The world is too small to hold the demo cast."""

    code = "DATAGEN_DEMO_CAST_UNAVAILABLE"

    def __init__(self, people: int, businesses: int, need_people: int,
                 need_businesses: int) -> None:
        self.people, self.businesses = people, businesses
        super().__init__(
            f"the demo cast needs at least {need_people} people and {need_businesses} "
            f"businesses; the world has {people} and {businesses}"
        )
