"""What the portal's tests share: a context on a real store, the test client, forms posted with their CSRF token,
canaries typed as secrets and the search for them. Its fixtures (`portal_store`, `portal`, `portal_client`,
`typed`) are registered for every test by tests/conftest.py."""

from __future__ import annotations

import html
import io
import re
import secrets
import string
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from provisioner.config import Settings
from provisioner.portal.app import create_portal_app
from provisioner.security.hashing import Hasher
from provisioner.service.context import ServiceContext
from provisioner.service.intake.drop import drop_folder
from provisioner.store.tables import portal_tokens, utcnow
from tests.factory import QA, delegue, make_workbook, user
from tests.stores import migrated_sqlite

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TEMPLATE = Path(__file__).parents[1] / "templates" / "bordereau-teleservices.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> Any:
        return self.now


def canary() -> str:
    """A valid password (5 to 10 letters and digits) nobody else writes."""
    return "Zq" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8))


def portal_ctx(tmp_path: Path, engine: Engine, **settings: Any) -> ServiceContext:
    values: dict[str, Any] = {"outbox": tmp_path / "outbox", "inbox": tmp_path / "inbox", "var_dir": tmp_path / "var",
                              "hash_workers": 1, **settings}
    return ServiceContext(Settings(database_url=str(engine.url), **values), engine, Hasher(1), clock=Clock())


def sqlite_store(tmp_path: Path) -> Engine:
    return migrated_sqlite(tmp_path / "var" / "portal.db")


def client_for(ctx: ServiceContext) -> TestClient:
    return TestClient(create_portal_app(ctx), base_url="http://testserver")


def token(client: TestClient) -> str:
    found = CSRF.search(client.get("/").text)
    assert found is not None
    return found.group(1)


def post_file(client: TestClient, url: str, path: Path, *, csrf: str | None = None) -> Any:
    data = {"csrf_token": token(client) if csrf is None else csrf}
    with path.open("rb") as handle:
        return client.post(url, data=data, files={"fichier": (path.name, handle, XLSX)}, follow_redirects=False)


def raw_form(csrf: str, data: bytes, *, filename: str = "b.xlsx", closed: bool = True) -> tuple[bytes, str]:
    """A multipart body written by hand (the CSRF field, then the file) and its content type: what a browser
    sends, or, with `closed=False`, one cut short before its closing boundary."""
    boundary = "XyZb"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="fichier"; filename="{filename}"\r\n'
            f'Content-Type: {XLSX}\r\n\r\n').encode()
    tail = f"\r\n--{boundary}--\r\n".encode() if closed else b""
    return head + data + tail, f"multipart/form-data; boundary={boundary}"


def faulty_workbook(path: Path, typed: dict[str, str]) -> Path:
    """An Abonnement with a malformed user email, canaries in every secret cell."""
    qa = {**QA, "answer1": typed["answer"]}
    return make_workbook(path, delegue_values=delegue(password=typed["admin"], password_confirm=typed["admin"]),
                         users={"td_interne": [user("hind.td", email="pas-une-adresse", password=typed["user"],
                                                    password_confirm=typed["user"], **qa)]})


def unzipped_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def assert_no_secret(text: str, typed: dict[str, str]) -> None:
    for name, value in typed.items():
        assert value not in text, f"the {name} canary leaked"


def assert_refused_and_nothing_kept(response: Any, status: int, words: str, ctx: ServiceContext) -> None:
    assert response.status_code == status, response.text
    assert words in html.unescape(response.text) and '<html lang="fr">' in response.text
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(portal_tokens)).scalar() == 0
    for folder in (ctx.settings.var_dir / "portal", drop_folder(ctx.settings)):
        assert not folder.exists() or list(folder.iterdir()) == [], folder


@pytest.fixture
def portal_store(tmp_path: Path) -> Engine:
    """A migrated SQLite store under tmp_path/var."""
    return sqlite_store(tmp_path)


@pytest.fixture
def portal(tmp_path: Path, portal_store: Engine) -> Iterator[ServiceContext]:
    """A service context for the portal on `portal_store`, with a clock the test moves."""
    context = portal_ctx(tmp_path, portal_store)
    yield context
    context.close()


@pytest.fixture
def portal_client(portal: ServiceContext) -> TestClient:
    return client_for(portal)


@pytest.fixture
def typed() -> dict[str, str]:
    """Canaries for the administrator password, a user's password and a secret answer."""
    return {"admin": canary(), "user": canary(), "answer": canary()}
