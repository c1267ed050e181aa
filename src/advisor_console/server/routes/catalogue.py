"""Client 360 and lookbook search."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import exists, or_, select

from ...domain.models import Client360, Page, Product, Role
from ..deps import READERS, CurrentAdvisor, ReadSession, require
from ..errors import not_found
from ..tables import AdvisorRow, ClientRow, ConversationRow, ProductRow, PurchaseRow, TaskRow
from .conversations import _decode_cursor, _encode_cursor

router = APIRouter(prefix="/api/v1", tags=["clients", "products"])


@router.get("/clients/{client_id}", response_model=Client360)
def get_client(client_id: int, advisor: CurrentAdvisor, session: ReadSession) -> Client360:
    require(advisor, *READERS)
    client = session.get(ClientRow, client_id)
    if client is None:
        raise not_found("Client")
    if advisor.role == Role.advisor and client.hub != advisor.hub:
        # Advisors of other hubs see a client they are serving right now.
        serving = session.execute(
            select(
                exists().where(
                    ConversationRow.client_id == client_id,
                    or_(
                        ConversationRow.hub == advisor.hub,
                        ConversationRow.assignee_id.in_(select(AdvisorRow.id).where(AdvisorRow.username == advisor.username)),
                    ),
                )
            )
        ).scalar()
        if not serving:
            raise not_found("Client")
    purchases = session.execute(select(PurchaseRow).where(PurchaseRow.client_id == client_id).order_by(PurchaseRow.at.desc())).scalars().all()
    tasks = session.execute(select(TaskRow).where(TaskRow.client_id == client_id, TaskRow.done.is_(False)).order_by(TaskRow.due)).scalars().all()
    return Client360(**client.to_model().model_dump(), purchases=[p.to_model() for p in purchases], tasks=[t.to_model() for t in tasks])


@router.get("/products", response_model=Page[Product])
def search_products(
    advisor: CurrentAdvisor,
    session: ReadSession,
    q: str = Query("", max_length=200),
    category: str | None = Query(None, max_length=60),
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = None,
) -> Page[Product]:
    require(advisor, *READERS)
    stmt = select(ProductRow)
    for word in q.lower().split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(ProductRow.search_text.like(f"%{escaped}%", escape="\\"))
    if category:
        stmt = stmt.where(ProductRow.category == category)
    after = _decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(ProductRow.id > after)
    rows = session.execute(stmt.order_by(ProductRow.id).limit(limit + 1)).scalars().all()
    items = [r.to_model() for r in rows[:limit]]
    return Page[Product](items=items, next_cursor=_encode_cursor(items[-1].id) if len(rows) > limit else None)
