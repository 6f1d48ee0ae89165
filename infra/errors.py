"""The error a bad context value raises: its own module, so that code which needs it
(infra/site.py, imported by the local server's tests) does not load aws-cdk-lib."""

from __future__ import annotations


class ConfigError(ValueError):
    """Unknown stage or a bad context value."""
