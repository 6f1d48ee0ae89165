import json
from pathlib import Path

import pytest
import yaml

from entrypoints.cli import main
from observability.grafana.dashboards import dashboards
from observability.grafana.render import render, to_yaml

pytestmark = pytest.mark.unit


def test_render_writes_the_dashboards_and_provisioning_for_both_datasources(
    tmp_path: Path,
) -> None:
    render(tmp_path, region="eu-central-1", namespace="ServerlessAuth", folder="Auth")

    sources = yaml.safe_load((tmp_path / "datasources/serverless-auth.yaml").read_text())
    assert sources["apiVersion"] == 1
    assert {(s["uid"], s["type"]) for s in sources["datasources"]} == {
        ("cloudwatch", "cloudwatch"),
        ("xray", "grafana-x-ray-datasource"),
    }
    assert {s["jsonData"]["defaultRegion"] for s in sources["datasources"]} == {"eu-central-1"}
    (provider,) = yaml.safe_load((tmp_path / "dashboards/serverless-auth.yaml").read_text())[
        "providers"
    ]
    assert (provider["type"], provider["folder"]) == ("file", "Auth")
    assert provider["options"]["path"] == "/etc/grafana/provisioning/dashboards/serverless-auth"
    written = {
        path.stem: json.loads(path.read_text())
        for path in (tmp_path / "dashboards/serverless-auth").glob("*.json")
    }
    assert written == {board["uid"]: board for board in dashboards()}


def test_rendering_twice_gives_identical_files(tmp_path: Path) -> None:
    first = {p: p.read_bytes() for p in render(tmp_path, region="r", namespace="N")}
    second = {p: p.read_bytes() for p in render(tmp_path, region="r", namespace="N")}

    assert first == second


def test_the_yaml_writer_round_trips_through_a_yaml_parser() -> None:
    data = {
        "a": [1, {"b": "x: y", "c": [True, None]}, []],
        "d": {},
        "e": 'quote " and \\ backslash',
    }

    assert yaml.safe_load(to_yaml(data)) == data


def test_app_grafana_render_writes_to_the_folder_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["grafana", "render", "--out", str(tmp_path), "--namespace", "Team/Auth"])

    assert code == 0
    overview = json.loads(
        (tmp_path / "dashboards/serverless-auth/serverless-auth-overview.json").read_text()
    )
    assert "Team/Auth" in json.dumps(overview)
    assert "serverless-auth-overview.json" in capsys.readouterr().out
