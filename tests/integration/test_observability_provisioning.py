"""`app grafana provision` against a local HTTP stand-in of Grafana's API (no Grafana
server can be installed here). The stand-in implements only the endpoints the
provisioner uses, checks the bearer token, keeps state and records every request."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from entrypoints.cli import main
from observability.grafana.dashboards import OVERVIEW_UID, TRACES_UID
from observability.grafana.provision import ProvisioningError, provision

pytestmark = pytest.mark.integration

TOKEN = "glsa_admin_token_for_tests"
VIEWER = "glsa_viewer_token_for_tests"
ARGS = {"region": "eu-west-1", "namespace": "ServerlessAuth"}


class FakeGrafana:
    def __init__(self) -> None:
        self.datasources: dict[str, dict[str, Any]] = {}
        self.folders: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.next_id = 1

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]

    def handle(self, method: str, path: str, token: str, body: Any) -> tuple[int, Any]:
        self.requests.append((method, path))
        if token not in {TOKEN, VIEWER}:
            return 401, {"message": "Unauthorized"}
        if method != "GET" and token == VIEWER:
            return 403, {"message": "Permissions needed: datasources:create"}
        for pattern, handler in self.routes():
            found = re.fullmatch(pattern, f"{method} {path}")
            if found:
                return handler(body, *found.groups())
        return 404, {"message": "Not found"}

    def routes(self) -> list[tuple[str, Any]]:
        return [
            (r"GET /api/datasources/uid/([\w-]+)", self.get_datasource),
            (r"POST /api/datasources", self.create_datasource),
            (r"PUT /api/datasources/uid/([\w-]+)", self.update_datasource),
            (r"GET /api/folders/([\w-]+)", self.get_folder),
            (r"POST /api/folders", self.create_folder),
            (r"PUT /api/folders/([\w-]+)", self.update_folder),
            (r"GET /api/dashboards/uid/([\w-]+)", self.get_dashboard),
            (r"POST /api/dashboards/db", self.save_dashboard),
        ]

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def get_datasource(self, _: Any, uid: str) -> tuple[int, Any]:
        found = self.datasources.get(uid)
        return (200, found) if found else (404, {"message": "Data source not found"})

    def create_datasource(self, body: Any) -> tuple[int, Any]:
        if body["uid"] in self.datasources:
            return 409, {"message": "data source with the same uid already exists"}
        stored = {**body, "id": self._id(), "orgId": 1, "readOnly": False}
        self.datasources[body["uid"]] = stored
        return 200, {"datasource": stored, "id": stored["id"], "message": "Datasource added"}

    def update_datasource(self, body: Any, uid: str) -> tuple[int, Any]:
        self.datasources[uid] = {**self.datasources[uid], **body}
        return 200, {"message": "Datasource updated"}

    def get_folder(self, _: Any, uid: str) -> tuple[int, Any]:
        found = self.folders.get(uid)
        return (200, found) if found else (404, {"message": "folder not found"})

    def create_folder(self, body: Any) -> tuple[int, Any]:
        self.folders[body["uid"]] = {**body, "id": self._id(), "version": 1}
        return 200, self.folders[body["uid"]]

    def update_folder(self, body: Any, uid: str) -> tuple[int, Any]:
        folder = self.folders[uid]
        folder.update(title=body["title"], version=folder["version"] + 1)
        return 200, folder

    def get_dashboard(self, _: Any, uid: str) -> tuple[int, Any]:
        found = self.dashboards.get(uid)
        return (200, found) if found else (404, {"message": "Dashboard not found"})

    def save_dashboard(self, body: Any) -> tuple[int, Any]:
        board = body["dashboard"]
        if body["folderUid"] not in self.folders:
            return 400, {"message": "folder not found"}
        previous = self.dashboards.get(board["uid"])
        version = previous["dashboard"]["version"] + 1 if previous else 1
        stored = {**board, "id": self._id(), "version": version}
        self.dashboards[board["uid"]] = {
            "dashboard": stored,
            "meta": {"folderUid": body["folderUid"], "version": version},
        }
        return 200, {"status": "success", "uid": board["uid"], "version": version}


def serve(grafana: FakeGrafana) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            status, payload = grafana.handle(self.command, self.path, token, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _respond  # noqa: N815 - http.server's naming

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def grafana() -> Iterator[tuple[FakeGrafana, str]]:
    fake = FakeGrafana()
    server = serve(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_first_run_creates_datasources_folder_and_dashboards(
    grafana: tuple[FakeGrafana, str],
) -> None:
    fake, url = grafana

    report = provision(url, TOKEN, folder="Auth", **ARGS)

    assert report.created == [
        "datasource cloudwatch",
        "datasource xray",
        "folder serverless-auth",
        f"dashboard {OVERVIEW_UID}",
        f"dashboard {TRACES_UID}",
    ]
    assert fake.datasources["xray"]["type"] == "grafana-x-ray-datasource"
    assert fake.folders["serverless-auth"]["title"] == "Auth"
    assert fake.dashboards[OVERVIEW_UID]["meta"]["folderUid"] == "serverless-auth"


def test_a_second_run_changes_nothing_and_only_reads(grafana: tuple[FakeGrafana, str]) -> None:
    fake, url = grafana
    provision(url, TOKEN, **ARGS)
    fake.requests.clear()

    report = provision(url, TOKEN, **ARGS)

    assert not report.changed
    assert len(report.unchanged) == 5
    assert fake.writes() == []
    assert fake.dashboards[OVERVIEW_UID]["dashboard"]["version"] == 1


def test_a_dashboard_edited_in_grafana_is_put_back_and_only_it(
    grafana: tuple[FakeGrafana, str],
) -> None:
    fake, url = grafana
    provision(url, TOKEN, **ARGS)
    fake.dashboards[TRACES_UID]["dashboard"]["title"] = "edited by hand"
    fake.requests.clear()

    report = provision(url, TOKEN, **ARGS)

    assert report.updated == [f"dashboard {TRACES_UID}"]
    assert fake.writes() == [("POST", "/api/dashboards/db")]
    assert fake.dashboards[TRACES_UID]["dashboard"]["title"] == "Serverless Auth: traces"


def test_a_new_folder_name_renames_the_folder_and_a_changed_region_updates_the_sources(
    grafana: tuple[FakeGrafana, str],
) -> None:
    fake, url = grafana
    provision(url, TOKEN, **ARGS)

    report = provision(
        url, TOKEN, folder="Identity", region="us-east-2", namespace="ServerlessAuth"
    )

    assert report.updated == ["datasource cloudwatch", "datasource xray", "folder serverless-auth"]
    assert fake.folders["serverless-auth"]["title"] == "Identity"
    assert fake.datasources["cloudwatch"]["jsonData"]["defaultRegion"] == "us-east-2"


def test_a_bad_token_is_a_clear_error(grafana: tuple[FakeGrafana, str]) -> None:
    fake, url = grafana

    with pytest.raises(ProvisioningError, match=r"rejected the token \(401\)"):
        provision(url, "wrong", **ARGS)
    assert len(fake.requests) == 1


def test_a_token_without_write_permission_is_a_clear_error(
    grafana: tuple[FakeGrafana, str],
) -> None:
    _, url = grafana

    with pytest.raises(ProvisioningError, match=r"\(403\).*Admin"):
        provision(url, VIEWER, **ARGS)


def test_an_unreachable_grafana_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused

    with pytest.raises(ProvisioningError, match="cannot reach Grafana"):
        provision(f"http://127.0.0.1:{port}", TOKEN, timeout=2, **ARGS)


@pytest.mark.parametrize("url", ["grafana.example.com", "ftp://grafana", "http://", ""])
def test_a_malformed_url_is_refused_before_any_request(url: str) -> None:
    with pytest.raises(ProvisioningError, match="not a Grafana URL"):
        provision(url, TOKEN, **ARGS)


def test_a_missing_token_is_refused(grafana: tuple[FakeGrafana, str]) -> None:
    fake, url = grafana

    with pytest.raises(ProvisioningError, match="token is required"):
        provision(url, "", **ARGS)
    assert fake.requests == []


def test_the_cli_reports_what_changed_then_that_nothing_did(
    grafana: tuple[FakeGrafana, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = grafana
    command = ["grafana", "provision", "--url", url, "--token", TOKEN, "--folder", "Auth"]

    assert main(command) == 0
    first = capsys.readouterr().out
    assert main(command) == 0
    second = capsys.readouterr().out

    assert "created dashboard serverless-auth-overview" in first
    assert second.strip() == "nothing to change"


def test_the_cli_reads_the_token_from_the_environment_and_never_prints_it(
    grafana: tuple[FakeGrafana, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, url = grafana
    monkeypatch.setenv("GRAFANA_TOKEN", "glsa_wrong_token")

    code = main(["grafana", "provision", "--url", url])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.startswith("grafana: Grafana at")
    assert "401" in captured.err
    assert "Traceback" not in captured.err
    assert "glsa_wrong_token" not in captured.out + captured.err
