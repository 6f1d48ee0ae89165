"""Logs (and, later, traces and metrics) for the service."""
