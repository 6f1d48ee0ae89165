"""Assertions on RFC 9457 problem responses, shared by the HTTP tests."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> Any:
    """An RFC 9457 problem with the given status (and type slug); returns the parsed body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["cache-control"] == "no-store"
    assert "Traceback" not in response.text
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert body["type"]
    assert isinstance(body["title"], str)
    assert body["title"]
    if slug is not None:
        assert body["type"] == f"/problems/{slug}"
    return body


def assert_invalid(response: httpx.Response) -> set[str]:
    """A 422 invalid-input problem with a non-empty `errors` list; returns the fields named."""
    body = assert_problem(response, 422, "invalid-input")
    assert isinstance(body["errors"], list)
    assert body["errors"]
    for error in body["errors"]:
        assert isinstance(error["field"], str)
        assert error["field"]
        assert isinstance(error["message"], str)
        assert error["message"]
    return {error["field"] for error in body["errors"]}
