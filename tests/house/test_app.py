"""The application: public pages without an intake secret; API docs that load nothing from
elsewhere."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from honestcount.app import create_app
from honestcount.settings import IntakeSettings


def test_public_pages_serve_without_an_intake_secret(tmp_path):
    app = create_app(
        f"sqlite:///{tmp_path / 'p.db'}", intake_settings=IntakeSettings(_env_file=None)
    )
    assert app.state.public_only
    client = TestClient(app)
    assert client.get("/").status_code == 200
    assert not any(p.startswith("/api/v1/") for p in client.get("/openapi.json").json()["paths"])


def test_intake_mounts_when_configured(tmp_path):
    settings = IntakeSettings(secret="s" * 40, photo_dir=tmp_path / "photos")
    app = create_app(f"sqlite:///{tmp_path / 'i.db'}", intake_settings=settings)
    assert not app.state.public_only
    paths = TestClient(app).get("/openapi.json").json()["paths"]
    assert any(path.startswith("/api/v1/") for path in paths)
    only = create_app(f"sqlite:///{tmp_path / 'i.db'}", intake_settings=settings, public_only=True)
    assert only.state.public_only


def test_api_docs_load_only_from_this_server(tmp_path):
    client = TestClient(create_app(f"sqlite:///{tmp_path / 'd.db'}"))
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
    assert urls, page.text
    for url in urls:
        assert url.startswith("/"), f"/docs loads {url} from elsewhere"
        assert client.get(url).status_code == 200, url
    assert "//" not in re.sub(
        r"https?://[^\s\"']*swagger[^\s\"']*", "", page.text.split("<script>")[0]
    )
    assert client.get("/redoc").status_code == 404
