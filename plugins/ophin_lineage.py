"""Airflow 3 plugin: the OphIn lineage pages (a FastAPI app at /ophin) and the UI links that lead to them.

Thin glue: the queries live in ophin.lineage.view / ophin.lineage.chain, the HTML in ophin.lineage_html.
The quality report (/ophin/report) is ophin.reporting's page, built per request; the review pages
(/ophin/review, /ophin/api/review/...) are ophin.review.web's router.
Every route is authorised by Airflow's auth manager (the UI's session cookie or a Bearer token).
"""

from __future__ import annotations

import uuid
from typing import Any

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

PREFIX = "/ophin"
# No scripts at all on these pages; images and forms only from this server; framed only by Airflow's UI.
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The report carries its sample images inside it (data: URIs); nothing else differs.
_REPORT_HEADERS = _HEADERS | {
    "Content-Security-Policy": _HEADERS["Content-Security-Policy"].replace(
        "img-src 'self'", "img-src 'self' data:"
    )
}
_BACKENDS: dict[int, tuple[Any, Any, Any]] = {}


def _read_dag_task_instances(user: GetUserDep) -> None:
    """Pages not tied to one DAG (an id, a frame) need read access to task instances of DAGs."""
    from airflow.api_fastapi.app import get_auth_manager

    if not get_auth_manager().is_authorized_dag(
        method="GET", access_entity=DagAccessEntity.TASK_INSTANCE, user=user
    ):
        raise HTTPException(403, "Forbidden")


def _label_dag_task_instances(user: GetUserDep) -> None:
    """Recording a review label is a write: it needs edit access to task instances (a viewer reads only)."""
    from airflow.api_fastapi.app import get_auth_manager

    if not get_auth_manager().is_authorized_dag(
        method="PUT", access_entity=DagAccessEntity.TASK_INSTANCE, user=user
    ):
        raise HTTPException(403, "Forbidden: labelling needs edit access to task instances")


def _reviewer(user: GetUserDep) -> str:
    return user.get_name()


READ_TI = [Depends(requires_access_dag("GET", DagAccessEntity.TASK_INSTANCE))]  # dag_id from the path
READ_ANY = [Depends(_read_dag_task_instances)]
LABEL = [Depends(_label_dag_task_instances)]


def backend() -> tuple[Any, Any]:
    """(session factory, object store) from ophin Settings (OPHIN_* environment), built once per Settings."""
    from ophin.adapters.object_store import build_object_store
    from ophin.db.session import session_factory
    from ophin.settings import get_settings

    settings = get_settings()
    hit = _BACKENDS.get(id(settings))
    if hit is None or hit[0] is not settings:
        hit = _BACKENDS[id(settings)] = (settings, session_factory(settings), build_object_store(settings))
    return hit[1], hit[2]


def _prefix(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/") or PREFIX


def _map_index(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        return -1  # an unmapped task: the UI leaves {MAP_INDEX} unfilled


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=_HEADERS)


def _read(fn: Any, *args: Any) -> Any:
    from ophin.db.session import session_scope

    sessions, _ = backend()
    with session_scope(sessions) as session:
        return fn(session, *args)


def _ti_data(dag_id: str, run_id: str, task_id: str, map_index: str) -> dict[str, Any]:
    from ophin.lineage.view import task_instance_outputs

    return _read(task_instance_outputs, dag_id, run_id, task_id, _map_index(map_index))


def _id_data(oid: str) -> dict[str, Any]:
    from ophin.lineage.chain import id_view
    from ophin.lineage.trace import UnknownId

    try:
        return _read(id_view, oid.strip())
    except UnknownId as exc:
        raise HTTPException(404, str(exc)) from exc


def create_app() -> FastAPI:
    app = FastAPI(title="OphIn lineage", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(StarletteHTTPException)
    async def _error(request: Request, exc: StarletteHTTPException) -> Response:
        if "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        if exc.status_code == 401:  # a browser without a session: Airflow's login, then back here
            from airflow.api_fastapi.app import get_auth_manager

            return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), 303)
        from ophin.lineage.html import error_page

        return _html(error_page(str(exc.detail), _prefix(request)), exc.status_code)

    from ophin.review.web import review_router

    app.include_router(review_router(read=READ_ANY, write=LABEL, reviewer=_reviewer, backend=backend))

    @app.get("/", dependencies=READ_ANY)
    def home(request: Request) -> HTMLResponse:
        from ophin.lineage.chain import recent_task_instances
        from ophin.lineage.html import home_page

        return _html(home_page(_read(recent_task_instances), _prefix(request)))

    @app.get("/search", dependencies=READ_ANY)
    def search(request: Request, q: str = "") -> Response:
        from ophin.lineage.html import home_page

        try:
            oid = uuid.UUID(q.strip())
        except ValueError:
            return _html(home_page([], _prefix(request), f"not an id: {q!r}"), 400)
        return RedirectResponse(f"{_prefix(request)}/id/{oid}", 303)

    @app.get("/api/recent", dependencies=READ_ANY)
    def api_recent() -> list[dict[str, Any]]:
        from ophin.lineage.chain import recent_task_instances

        return _read(recent_task_instances)

    @app.get("/api/ti/{dag_id}/{run_id}/{task_id}/{map_index}", dependencies=READ_TI)
    def api_ti(dag_id: str, run_id: str, task_id: str, map_index: str) -> dict[str, Any]:
        return _ti_data(dag_id, run_id, task_id, map_index)

    @app.get("/ti/{dag_id}/{run_id}/{task_id}/{map_index}", dependencies=READ_TI)
    def ti_page(request: Request, dag_id: str, run_id: str, task_id: str, map_index: str) -> HTMLResponse:
        from ophin.lineage.html import task_instance_page

        return _html(task_instance_page(_ti_data(dag_id, run_id, task_id, map_index), _prefix(request)))

    @app.get("/api/id/{oid}", dependencies=READ_ANY)
    def api_id(oid: str) -> dict[str, Any]:
        return _id_data(oid)

    @app.get("/id/{oid}", dependencies=READ_ANY)
    def id_page(request: Request, oid: str) -> HTMLResponse:
        from ophin.lineage.html import id_page as render

        return _html(render(_id_data(oid), _prefix(request)))

    @app.get("/report", dependencies=READ_ANY)
    def report_page() -> HTMLResponse:
        from datetime import UTC, datetime

        from ophin.reporting.build import build_report
        from ophin.reporting.page import render_page
        from ophin.settings import get_settings

        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        store = backend()[1]
        report = _read(lambda session: build_report(session, get_settings(), store=store, generated_at=now))
        return HTMLResponse(render_page(report), headers=_REPORT_HEADERS)

    @app.get("/frames/{frame_id}.jpg", dependencies=READ_ANY)
    def frame_image(frame_id: str) -> Response:
        from ophin.adapters.object_store import ObjectMissing
        from ophin.db.models import Frame

        try:
            fid = uuid.UUID(frame_id)
        except ValueError as exc:
            raise HTTPException(404, "not a frame id") from exc
        frame = _read(lambda session: session.get(Frame, fid))
        if frame is None:
            raise HTTPException(404, f"no frame {fid}")
        try:
            data = backend()[1].get_bytes(frame.object_key)
        except ObjectMissing as exc:
            raise HTTPException(404, f"frame {fid}: image missing from the store") from exc
        return Response(
            data, media_type="image/jpeg", headers={**_HEADERS, "Cache-Control": "private, max-age=600"}
        )

    return app


class OphinLineagePlugin(AirflowPlugin):
    name = "ophin_lineage"
    fastapi_apps = [{"app": create_app(), "url_prefix": PREFIX, "name": "OphIn lineage"}]
    # Relative hrefs resolve against the UI's <base href>, so they also work under a base_url with a path.
    external_views = [
        {
            "name": "OphIn lineage",
            "href": "ophin/ti/{DAG_ID}/{RUN_ID}/{TASK_ID}/{MAP_INDEX}",
            "destination": "task_instance",
            "url_route": "ophin-task-lineage",
        },
        {
            "name": "OphIn review",
            "href": "ophin/review",
            "destination": "nav",
            "url_route": "ophin-review",
            "nav_top_level": True,
        },
        {
            "name": "OphIn lineage",
            "href": "ophin/",
            "destination": "nav",
            "url_route": "ophin-lineage",
            "nav_top_level": True,
        },
    ]
