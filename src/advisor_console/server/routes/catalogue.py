"""Client 360 and lookbook search."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlmodel import Session

from ...domain.models import Client, Client360, ClientNotesIn, Page, Product, Task, TaskIn, TaskUpdateIn
from .. import search, services
from ..deps import READERS, STAFF, CurrentAdvisor, ReadSession, State, require
from ..tables import PurchaseRow, TaskRow
from .conversations import Id, IdempotencyKey, _decode_cursor, _encode_cursor, write

router = APIRouter(prefix="/api/v1", tags=["clients", "tasks", "products"])


@router.get("/clients/{client_id}", response_model=Client360)
def get_client(client_id: Id, advisor: CurrentAdvisor, session: ReadSession, state: State) -> Client360:
    require(advisor, *READERS)
    client = services.visible_client(session, advisor, client_id)
    with Session(state.write_engine) as audit_session:
        services.audit(audit_session, advisor.username, "client.view", client_id)
        audit_session.commit()
    purchases = session.execute(select(PurchaseRow).where(PurchaseRow.client_id == client_id).order_by(PurchaseRow.at.desc())).scalars().all()
    tasks = session.execute(select(TaskRow).where(TaskRow.client_id == client_id, TaskRow.done.is_(False)).order_by(TaskRow.due)).scalars().all()
    return Client360(**client.to_model().model_dump(), purchases=[p.to_model() for p in purchases], tasks=[t.to_model() for t in tasks])


@router.post("/clients/{client_id}/notes", response_model=Client)
def set_notes(client_id: Id, body: ClientNotesIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(advisor, *STAFF)
    fp = services.request_hash("notes", client_id, body.notes)
    return write(state, advisor, idempotency_key, fp, lambda s: services.set_client_notes(s, advisor, client_id, body.notes))


@router.post("/clients/{client_id}/tasks", response_model=Task, status_code=201)
def create_task(client_id: Id, body: TaskIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(advisor, *STAFF)
    fp = services.request_hash("task", client_id, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: services.create_task(s, advisor, client_id, body))


@router.post("/tasks/{task_id}", response_model=Task)
def update_task(task_id: Id, body: TaskUpdateIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(advisor, *STAFF)
    fp = services.request_hash("task-update", task_id, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: services.update_task(s, advisor, task_id, body))


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
    stmt = search.product_query(session, q, category, _decode_cursor(cursor), limit + 1)
    rows = session.execute(stmt).scalars().all()
    items = [r.to_model() for r in rows[:limit]]
    return Page[Product](items=items, next_cursor=_encode_cursor(items[-1].id) if len(rows) > limit else None)
