"""Driver failures become `StoreUnavailableError` (503), never a 500 with driver text."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from pymongo.errors import DuplicateKeyError, PyMongoError

from domain.errors import StoreUnavailableError

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger("adapters.mongo")


def store_call(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Translate every driver error except duplicate keys (which callers map themselves)."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await fn(*args, **kwargs)
        except DuplicateKeyError:
            raise
        except PyMongoError as exc:
            log.warning(
                "store_unavailable",
                extra={"operation": fn.__qualname__, "error": type(exc).__name__},
            )
            raise StoreUnavailableError from None

    return wrapper
