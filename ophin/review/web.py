"""The review page's routes, as a FastAPI router the lineage plugin mounts under /ophin.

The plugin hands in Airflow's authorisation (read and label dependencies) and the logged-in user's name;
nothing here imports Airflow. The label endpoint takes JSON only: a cross-site form cannot send it, and a
cross-site script would need a CORS preflight the api-server does not grant.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from typing import Any

# At module level: FastAPI reads the routes' annotations (strings, under `from __future__ import
# annotations`) in this module's namespace. FastAPI comes with Airflow; only the plugin imports this module.
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

PREFIX = "/ophin"


def _headers(nonce: str) -> dict[str, str]:
    """The lineage pages' policy, plus the page's one inline script (by nonce) and its POST to this server."""
    return {
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
        f"script-src 'nonce-{nonce}'; connect-src 'self'; form-action 'self'; frame-ancestors 'self'; "
        "base-uri 'none'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",  # a page shows the reviewer's own label: never a stale one
    }


def review_router(
    *,
    read: Sequence[Any],
    write: Sequence[Any],
    reviewer: Callable[..., str],
    backend: Callable[[], tuple[Any, Any]],
) -> APIRouter:
    """Routes: /review (batches with progress), /review/{batch} (the reviewer's first unlabelled item),
    /review/{batch}/{position} (one item), /api/review/batches (JSON), POST /api/review/labels (JSON).

    read/write: FastAPI dependencies that authorise (write: recording a label); reviewer: a dependency that
    returns the logged-in user's name; backend: () -> (session factory, object store)."""
    from ophin.db.session import session_scope
    from ophin.review import page_data, page_html
    from ophin.review.vocabulary import LabelError

    router = APIRouter()

    def run(fn: Callable[..., Any], *args: Any) -> Any:
        sessions, _ = backend()
        with session_scope(sessions) as session:
            return fn(session, *args)

    def prefix(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/") or PREFIX

    def html(render: Callable[[str], str]) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        return HTMLResponse(render(nonce), headers=_headers(nonce))

    def batch_or_404(session: Any, batch_id: str) -> Any:
        batch = page_data.find_batch_by_id(session, batch_id)
        if batch is None:
            raise HTTPException(404, f"no review batch {batch_id}")
        return batch

    @router.get("/review", dependencies=list(read))
    def batches(request: Request, who: str = Depends(reviewer)) -> HTMLResponse:
        found = run(page_data.batch_progress, who)
        return html(lambda nonce: page_html.batch_list_page(found, who, prefix(request), nonce))

    @router.get("/api/review/batches", dependencies=list(read))
    def api_batches(who: str = Depends(reviewer)) -> list[dict[str, Any]]:
        return [
            {**vars(b), "id": str(b.id), "created_at": b.created_at.isoformat()}
            for b in run(page_data.batch_progress, who)
        ]

    @router.get("/review/{batch_id}", dependencies=list(read))
    def resume(request: Request, batch_id: str, who: str = Depends(reviewer)) -> RedirectResponse:
        def first(session: Any) -> tuple[Any, int | None]:
            batch = batch_or_404(session, batch_id)
            return batch.id, page_data.first_unlabelled(session, batch.id, who)

        bid, position = run(first)
        links = page_html.ReviewLinks(prefix(request))
        return RedirectResponse(links.list() if position is None else links.item(bid, position), 303)

    @router.get("/review/{batch_id}/{position}", dependencies=list(read))
    def item(request: Request, batch_id: str, position: int, who: str = Depends(reviewer)) -> HTMLResponse:
        def view(session: Any) -> Any:
            return page_data.item_view(session, batch_or_404(session, batch_id), position, who)

        found = run(view)
        if found is None:
            raise HTTPException(404, f"review batch {batch_id} has no item {position + 1}")
        return html(lambda nonce: page_html.item_page(found, who, prefix(request), nonce))

    @router.post("/api/review/labels", dependencies=list(write))
    async def label(request: Request, who: str = Depends(reviewer)) -> JSONResponse:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise HTTPException(415, "send the label as application/json")
        try:
            payload = json.loads(await request.body())
        except ValueError as exc:
            raise HTTPException(400, f"not JSON: {exc}") from None
        try:
            saved = await run_in_threadpool(run, page_data.save_label, payload, who)
        except LabelError as exc:
            raise HTTPException(400, str(exc)) from None
        return JSONResponse(saved, headers={"Cache-Control": "no-store"})

    return router
