"""Logs, traces and metrics of the service, and its Grafana dashboards (see catalog.py)."""
