"""Client 360 and lookbook search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlmodel import Session

from ...domain.models import HUBS, Client, Client360, ClientNotesIn, Page, Product, ProductDetail, Task, TaskIn, TaskUpdateIn
from .. import clienteling, images, search, services
from ..deps import READERS, STAFF, CurrentAdvisor, ReadSession, State, require
from ..errors import ApiError
from ..tables import ProductRow
from .conversations import Id, IdempotencyKey, _decode_cursor, _encode_cursor, write

router = APIRouter(prefix="/api/v1", tags=["clients", "tasks", "products"])


@router.get("/clients/{client_id}", response_model=Client360)
def get_client(client_id: Id, advisor: CurrentAdvisor, session: ReadSession, state: State) -> Client360:
    """The client 360: profile, sizes, taste, consent, purchases (newest first), open tasks
    (soonest first), and for clienteling: `recent_conversations` (the last 10 across
    channels: id, channel, status, last_activity_at, preview), `personal_advisor`
    ({username, name} or null), `lifetime_spend_formatted` (Babel, in the client's locale),
    `tryon_selections` (newest first), `last_contacted_at` and `contacts_this_month` (an
    advisor's replies, one contact per conversation and UTC day, calendar month in UTC:
    server/contacts.py), `history` (tasks done with their outcomes, newest first) and
    `birthday`."""
    require(advisor, *READERS)
    client = services.visible_client(session, advisor, client_id)
    with Session(state.write_engine) as audit_session:
        services.audit(audit_session, advisor.username, "client.view", client_id)
        audit_session.commit()
    return clienteling.client_360(session, client)


@router.post("/clients/{client_id}/notes", response_model=Client)
def set_notes(client_id: Id, body: ClientNotesIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(advisor, *STAFF)
    fp = services.request_hash("notes", client_id, body.notes)
    return write(state, advisor, idempotency_key, fp, lambda s: services.set_client_notes(s, advisor, client_id, body.notes))


@router.post("/clients/{client_id}/tasks", response_model=Task, status_code=201)
def create_task(client_id: Id, body: TaskIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A clienteling task: call, follow_up, appointment or callback. Appointments may say
    `appointment_kind`: `in_store` (needs `place`) or `video` (needs an https://
    `video_link`); 422 invalid_appointment, place_required, invalid_video_link otherwise."""
    require(advisor, *STAFF)
    fp = services.request_hash("task", client_id, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: services.create_task(s, advisor, client_id, body))


@router.post("/tasks/{task_id:int}", response_model=Task)  # :int: GET /tasks/today is another route
def update_task(task_id: Id, body: TaskUpdateIn, advisor: CurrentAdvisor, state: State, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Done, outcome, due. Marking it done stamps `completed_at`: with its outcome it joins
    the client's `history` (task.updated)."""
    require(advisor, *STAFF)
    fp = services.request_hash("task-update", task_id, body.model_dump(mode="json"))
    return write(state, advisor, idempotency_key, fp, lambda s: services.update_task(s, advisor, task_id, body))


@router.get("/products", response_model=Page[Product])
def search_products(
    advisor: CurrentAdvisor,
    session: ReadSession,
    q: str = Query("", max_length=200),
    category: str | None = Query(None, max_length=60),
    line: str | None = Query(None, max_length=60, description="A line, exactly (e.g. Cipresso)."),
    season: str | None = Query(None, max_length=40, description="A season, exactly (e.g. FW26, Permanent)."),
    iconic: bool | None = Query(None, description="true: iconic pieces only; false: seasonal only."),
    in_stock_hub: str | None = Query(None, max_length=8, description="A hub code: only pieces with a unit in stock there."),
    size: str | None = Query(None, max_length=20, description="With in_stock_hub: that size in stock at that hub; alone: in stock somewhere."),
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = None,
) -> Page[Product]:
    """Lookbook search: every word of `q` a substring of name, SKU, line, colours or
    materials (server/search.py), with the filters ANDed; id order, paged by `cursor`."""
    require(advisor, *READERS)
    hub = in_stock_hub.upper() if in_stock_hub else None
    if hub is not None and hub not in HUBS:
        raise ApiError(422, "unknown_hub", f"There is no hub {in_stock_hub!r}; hubs are {', '.join(HUBS)}.")
    stmt = search.product_query(
        session, q, category, _decode_cursor(cursor), limit + 1, line=line, season=season, iconic=iconic, in_stock_hub=hub, size=size.strip() if size else None
    )
    found = search.products(session, stmt)
    items = found[:limit]
    return Page[Product](items=items, next_cursor=_encode_cursor(items[-1].id) if len(found) > limit else None)


@router.get("/products/facets", response_model=dict[str, list[str]])
def product_facets(advisor: CurrentAdvisor, session: ReadSession) -> dict[str, list[str]]:
    """The values the lookbook's filters offer: `categories`, `lines` and `seasons` in the
    catalogue (sorted)."""
    require(advisor, *READERS)
    return {
        name: sorted(v for v in session.execute(select(column).distinct()).scalars() if v)
        for name, column in (("categories", ProductRow.category), ("lines", ProductRow.line), ("seasons", ProductRow.season))
    }


@router.get("/products/{id_or_sku}", response_model=ProductDetail)
def get_product(id_or_sku: Annotated[str, PathParam(min_length=1, max_length=40)], advisor: CurrentAdvisor, session: ReadSession) -> ProductDetail:
    """One piece by id or SKU: the Product, plus `sizes` (catalogue order), `stock_by_hub`
    (hub -> size -> units, every hub listed), `total_by_hub` and `in_stock_hubs`."""
    require(advisor, *READERS)
    return clienteling.product_detail(session, id_or_sku)


@router.get(
    "/products/{id_or_sku}/image",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "The piece's picture (PNG)."}, 404: {"description": "No such product, or it has no picture."}},
)
def get_product_image(id_or_sku: Annotated[str, PathParam(min_length=1, max_length=40)], advisor: CurrentAdvisor, session: ReadSession) -> Response:
    """The piece's picture as PNG (drawn by the server from the catalogue record; the same
    bytes every time, cacheable). 404 `no_image` when the piece has none."""
    require(advisor, *READERS)
    product = clienteling.product_row(session, id_or_sku).to_model()
    if not product.image:
        raise ApiError(404, "no_image", f"{product.name} has no picture in the catalogue.")
    png = images.render_png(product.category, tuple(product.colours))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})
