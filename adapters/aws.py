"""What the AWS adapters share: turning a botocore error into its AWS error code."""

from __future__ import annotations


def error_code(exc: Exception) -> str:
    """The AWS error code (`AccessDeniedException`, `Throttling`...), else the exception's
    class name: never its message, which may quote the request."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error")
        if isinstance(error, dict) and isinstance(error.get("Code"), str):
            return str(error["Code"])
    return type(exc).__name__
