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
    from honestcount.intake.api import router as intake_router
    from honestcount.ledger.web import router as ledger_router
    from honestcount.web.routes import router as web_router

    app.include_router(intake_router(engine), prefix="/api/v1")
    app.include_router(ledger_router(engine))
    app.include_router(web_router(engine))
    return app
