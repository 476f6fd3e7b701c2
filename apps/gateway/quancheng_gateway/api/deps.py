"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from quancheng_gateway.core.config import GatewaySettings
from quancheng_gateway.service import Gateway
from quancheng_gateway.view import ChainView

__all__ = ["ChainViewDep", "GatewayDep", "SessionDep", "SettingsDep"]


def get_gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def get_session(gateway: Annotated[Gateway, Depends(get_gateway)]) -> Iterator[Session]:
    with Session(gateway.engine) as session:
        yield session


def get_settings(gateway: Annotated[Gateway, Depends(get_gateway)]) -> GatewaySettings:
    return gateway.settings


def get_view(gateway: Annotated[Gateway, Depends(get_gateway)]) -> ChainView:
    return gateway.view


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
ChainViewDep = Annotated[ChainView, Depends(get_view)]
