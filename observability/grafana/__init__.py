"""Grafana as code: dashboards (classic JSON model) over the CloudWatch and X-Ray data
sources, the file-provisioning YAML for both, and idempotent pushes with grafana-client."""
