"""Fixtures for observability tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.observability.logs import CapturedLogs, capture_logs


@pytest.fixture
def json_logs() -> Iterator[CapturedLogs]:
    """The service's logging configuration (JSON, DEBUG) writing into a buffer."""
    with capture_logs() as captured:
        yield captured
