"""The two data sources the dashboards query, with stable uids the panels refer to."""

from __future__ import annotations

from typing import Any

CLOUDWATCH = {"type": "cloudwatch", "uid": "cloudwatch"}
XRAY = {"type": "grafana-x-ray-datasource", "uid": "xray"}
# The X-Ray data source is a plugin: Grafana must have it installed
# (`grafana cli plugins install grafana-x-ray-datasource`, or GF_INSTALL_PLUGINS).
XRAY_PLUGIN = "grafana-x-ray-datasource"


def datasources(region: str) -> list[dict[str, Any]]:
    """Both data sources, authenticating with the AWS SDK's default chain (instance or
    task role, environment, shared profile): no keys are written anywhere."""
    json_data = {"authType": "default", "defaultRegion": region}
    return [
        {"name": "CloudWatch", **CLOUDWATCH, "access": "proxy", "jsonData": dict(json_data)},
        {"name": "X-Ray", **XRAY, "access": "proxy", "jsonData": dict(json_data)},
    ]
