"""`app grafana render --out DIR`: dashboards as JSON plus Grafana's file-provisioning
YAML, laid out to be mounted as Grafana's `provisioning/` folder:

    DIR/datasources/serverless-auth.yaml
    DIR/dashboards/serverless-auth.yaml          (the file provider)
    DIR/dashboards/serverless-auth/<uid>.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from observability.grafana.dashboards import dashboards
from observability.grafana.datasources import datasources

NAME = "serverless-auth"
DEFAULT_FOLDER = "Serverless Auth"
# Where the dashboards folder is once DIR is mounted at /etc/grafana/provisioning.
DEFAULT_DASHBOARDS_PATH = f"/etc/grafana/provisioning/dashboards/{NAME}"


def to_yaml(value: Any, indent: int = 0) -> str:
    """YAML for the plain data written here (dicts, lists, strings, numbers, booleans);
    strings are JSON-quoted, which YAML reads as double-quoted scalars."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return f"{pad}{{}}\n"
        out = ""
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                out += f"{pad}{key}:\n{to_yaml(item, indent + 1)}"
            else:
                out += f"{pad}{key}: {to_yaml(item).strip()}\n"
        return out
    if isinstance(value, list):
        if not value:
            return f"{pad}[]\n"
        out = ""
        for item in value:
            nested = to_yaml(item, indent + 1)
            out += f"{pad}- {nested.lstrip()}"
        return out
    return f"{pad}{json.dumps(value)}\n"


def datasources_yaml(region: str) -> str:
    return to_yaml({"apiVersion": 1, "datasources": datasources(region)})


def dashboards_provider_yaml(folder: str, path: str) -> str:
    provider = {
        "name": NAME,
        "orgId": 1,
        "folder": folder,
        "folderUid": NAME,
        "type": "file",
        "disableDeletion": False,
        "allowUiUpdates": False,
        "updateIntervalSeconds": 60,
        "options": {"path": path, "foldersFromFilesStructure": False},
    }
    return to_yaml({"apiVersion": 1, "providers": [provider]})


def render(
    out: Path,
    *,
    region: str,
    namespace: str,
    folder: str = DEFAULT_FOLDER,
    dashboards_path: str = DEFAULT_DASHBOARDS_PATH,
) -> list[Path]:
    """Write every file; return their paths. Existing files are overwritten."""
    boards = out / "dashboards" / NAME
    boards.mkdir(parents=True, exist_ok=True)
    (out / "datasources").mkdir(parents=True, exist_ok=True)
    files = {
        out / "datasources" / f"{NAME}.yaml": datasources_yaml(region),
        out / "dashboards" / f"{NAME}.yaml": dashboards_provider_yaml(folder, dashboards_path),
    }
    for board in dashboards(namespace):
        files[boards / f"{board['uid']}.json"] = json.dumps(board, indent=2, sort_keys=True) + "\n"
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
