"""POST /api/v1/inbound: a client's message arriving from a channel."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ...domain.models import InboundIn, Role
from .. import services
from ..deps import CurrentAdvisor, State, require, run_write

router = APIRouter(prefix="/api/v1", tags=["channels"])


@router.post("/inbound", status_code=201)
async def inbound(body: InboundIn, advisor: CurrentAdvisor, state: State) -> JSONResponse:
    require(advisor, Role.channel)
    fp = services.request_hash("inbound", body.model_dump(mode="json"))
    scope = f"inbound:{body.channel.value}"
    status, result = await run_write(
        state, lambda s: services.inbound(s, advisor, body), scope=scope if body.external_id else None, key=body.external_id, fingerprint=fp
    )
    return JSONResponse(result, status_code=status)
