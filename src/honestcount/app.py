"""The one ASGI application: intake API under /api/v1, public pages and open data at /."""

from __future__ import annotations

from fastapi import FastAPI

from honestcount import __version__
from honestcount.store.db import make_engine


def create_app(db_url: str | None = None) -> FastAPI:
    """Build the application on the store at ``db_url`` (default: as the CLI resolves it)."""
    engine = make_engine(db_url)
    app = FastAPI(title="honestcount", version=__version__,
                  description="Independent verification of an election count from citizens' "
                              "evidence: intake API, public pages and open data.")
    app.state.engine = engine
    for module, prefix in (("honestcount.intake.api", "/api/v1"), ("honestcount.web.routes", "")):
        try:
            routes = __import__(module, fromlist=["router"])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue  # that part is not built yet
        app.include_router(routes.router(engine), prefix=prefix)
    return app
