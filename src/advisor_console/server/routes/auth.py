"""POST /api/v1/auth/token and GET /api/v1/me."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from sqlalchemy import select
from sqlmodel import Session

from ...domain.models import Advisor, TokenRequest, TokenResponse
from ..deps import CurrentAdvisor, State
from ..errors import ApiError
from ..eventlog import utcnow
from ..security import new_token, token_digest, verify_password
from ..tables import AdvisorRow, TokenRow

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token", response_model=TokenResponse)
def issue_token(body: TokenRequest, state: State) -> TokenResponse:
    with Session(state.engine) as session:
        row = session.execute(select(AdvisorRow).where(AdvisorRow.username == body.username)).scalar_one_or_none()
        if row is None or not verify_password(body.password, row.password_hash):
            raise ApiError(401, "invalid_credentials", "Unknown username or wrong password.")
        advisor = row.to_model()
    token = new_token()
    now = utcnow()
    expires = now + timedelta(seconds=state.token_ttl_seconds)
    with Session(state.write_engine) as session:
        session.add(TokenRow(token_hash=token_digest(token), advisor_id=advisor.id, created_at=now, expires_at=expires))
        session.commit()
    return TokenResponse(token=token, advisor=advisor, expires_at=expires)


@router.get("/me", response_model=Advisor)
def me(advisor: CurrentAdvisor) -> Advisor:
    return advisor
