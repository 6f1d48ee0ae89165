"""`app grafana provision`: push data sources, folder and dashboards through Grafana's
HTTP API with grafana-client. Idempotent: each object is read first and written only
when missing or different, so a second run changes nothing.

Endpoints used: GET/POST /api/datasources, GET/PUT /api/datasources/uid/{uid},
GET/POST /api/folders, GET/PUT /api/folders/{uid}, GET /api/dashboards/uid/{uid},
POST /api/dashboards/db.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from observability.grafana.dashboards import dashboards
from observability.grafana.datasources import datasources
from observability.grafana.render import DEFAULT_FOLDER, NAME

FOLDER_UID = NAME
# Grafana adds these to a stored dashboard: not ours to compare.
SERVER_FIELDS = ("id", "version")


class ProvisioningError(RuntimeError):
    """Grafana could not be reached or refused a request; the message says which."""


@dataclass
class Report:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _client(url: str, token: str, timeout: float) -> Any:
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise ProvisioningError(f"not a Grafana URL: {url!r} (expected http(s)://host[:port])")
    if not token:
        raise ProvisioningError("a Grafana API token is required (--token or GRAFANA_TOKEN)")
    from grafana_client.api import GrafanaApi

    return GrafanaApi.from_url(url, credential=token, timeout=timeout)


def _call(url: str, action: Callable[..., Any], *args: Any, missing_ok: bool = False) -> Any:
    """Run one API call, turning the library's and the network's errors into ours;
    a 404 is None when `missing_ok` (a read of something not created yet)."""
    from grafana_client.client import GrafanaException

    try:
        return action(*args)
    except GrafanaException as exc:
        status = exc.status_code
        if status == 404 and missing_ok:
            return None
        if status == 401:
            raise ProvisioningError(f"Grafana at {url} rejected the token (401)") from None
        if status == 403:
            raise ProvisioningError(
                f"the token may not do this at {url} (403): it needs the Admin role"
            ) from None
        answer = status or "no response"
        raise ProvisioningError(f"Grafana at {url} answered {answer}: {exc.message}") from None
    except OSError as exc:  # connection refused, DNS failure, TLS errors, timeouts
        raise ProvisioningError(f"cannot reach Grafana at {url}: {exc}") from None


def _covers(stored: Any, wanted: Any) -> bool:
    """True when `stored` has every key of `wanted` with the same value (recursively)."""
    if isinstance(wanted, dict):
        return isinstance(stored, dict) and all(
            _covers(stored.get(k), v) for k, v in wanted.items()
        )
    return bool(stored == wanted)


def provision(
    url: str,
    token: str,
    *,
    folder: str = DEFAULT_FOLDER,
    region: str,
    namespace: str,
    timeout: float = 10.0,
) -> Report:
    api = _client(url, token, timeout)
    report = Report()

    def get(action: Callable[..., Any], *args: Any) -> Any:
        return _call(url, action, *args, missing_ok=True)

    def write(action: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        _call(url, lambda: action(*args, **kwargs))

    for source in datasources(region):
        label = f"datasource {source['uid']}"
        stored = get(api.datasource.get_datasource_by_uid, source["uid"])
        if stored is None:
            write(api.datasource.create_datasource, source)
            report.created.append(label)
        elif _covers(stored, source):
            report.unchanged.append(label)
        else:
            write(api.datasource.update_datasource_by_uid, source["uid"], source)
            report.updated.append(label)

    label = f"folder {FOLDER_UID}"
    stored = get(api.folder.get_folder, FOLDER_UID)
    if stored is None:
        write(api.folder.create_folder, folder, uid=FOLDER_UID)
        report.created.append(label)
    elif stored.get("title") == folder:
        report.unchanged.append(label)
    else:
        write(api.folder.update_folder, FOLDER_UID, title=folder, overwrite=True)
        report.updated.append(label)

    for board in dashboards(namespace):
        label = f"dashboard {board['uid']}"
        stored = get(api.dashboard.get_dashboard, board["uid"])
        if stored is not None:
            current = {k: v for k, v in stored["dashboard"].items() if k not in SERVER_FIELDS}
            wanted = {k: v for k, v in board.items() if k not in SERVER_FIELDS}
            if current == wanted and stored.get("meta", {}).get("folderUid") == FOLDER_UID:
                report.unchanged.append(label)
                continue
        write(
            api.dashboard.update_dashboard,
            {
                "dashboard": {**board, "id": None},
                "folderUid": FOLDER_UID,
                "overwrite": True,
                "message": "provisioned by `app grafana provision`",
            },
        )
        (report.created if stored is None else report.updated).append(label)
    return report
