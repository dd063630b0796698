"""The one ASGI application: public pages and open data at /, the intake API under /api/v1.

The intake is mounted only when it is configured (``HONESTCOUNT_SECRET``, or
``HONESTCOUNT_DEV`` for a development run) and not ``public_only``: a mirror of the
dashboard needs no intake secret. :func:`create_app` (and :func:`create_public_app`) take
everything from the settings, so that a server can build one app per worker process
(``uvicorn --factory honestcount.app:create_app --workers N``): the processes share nothing
but the database and the photo store.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from honestcount import __version__
from honestcount.settings import IntakeSettings
from honestcount.store.db import make_engine


def create_app(
    db_url: str | None = None,
    *,
    public_only: bool = False,
    intake_settings: IntakeSettings | None = None,
) -> FastAPI:
    """Build the application on the store at ``db_url`` (default: the ``db`` setting)."""
    engine = make_engine(db_url)
    intake = intake_settings or IntakeSettings()
    with_intake = not public_only and intake.configured
    app = FastAPI(
        title="honestcount",
        version=__version__,
        description="Independent verification of an election count from citizens' evidence: "
        "public pages and open data" + (", intake API" if with_intake else "") + ".",
        docs_url=None,  # served below from the package: no CDN, no fonts from elsewhere
        redoc_url=None,
    )
    _offline_docs(app)
    app.state.engine = engine
    app.state.public_only = not with_intake
    from honestcount.ledger.web import router as ledger_router
    from honestcount.web.routes import router as web_router

    if with_intake:
        from honestcount.frontdoor.consoles import consoles_router
        from honestcount.frontdoor.webapp import vote_router
        from honestcount.intake.api import router as intake_router

        app.include_router(intake_router(engine, intake), prefix="/api/v1")
        app.include_router(vote_router(engine))
        app.include_router(consoles_router(engine))  # /moderate, /observe, /digitise, /admin
    app.include_router(ledger_router(engine))
    app.include_router(web_router(engine))
    return app


def create_public_app() -> FastAPI:
    """The factory of a public-only process (``serve --public-only --workers N``)."""
    return create_app(public_only=True)


def granian_create_app() -> Any:
    """:func:`create_app` for granian's processes (``serve --server granian``): granian
    does not read forwarded headers itself, so they are honoured here, from the proxies in
    ``trusted_proxies`` only (none by default), as uvicorn does for ``serve``."""
    return _behind_proxies(create_app())


def granian_create_public_app() -> Any:
    """:func:`create_public_app` for granian's processes."""
    return _behind_proxies(create_public_app())


def _behind_proxies(app: FastAPI) -> Any:
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    from honestcount.settings import get_settings

    proxies = get_settings().trusted_proxies
    return wrap_asgi_with_proxy_headers(app, trusted_hosts=proxies) if proxies else app


DOCS_ASSETS = "/docs-assets"


def _offline_docs(app: FastAPI) -> None:
    """The API documentation at /docs with Swagger UI's files served from the package, so it
    works offline and tells no third party who reads it."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    app.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )
