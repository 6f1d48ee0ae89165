"""Answering no faster than a floor, so the time taken reveals nothing."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import timedelta


@contextlib.asynccontextmanager
async def at_least(duration: timedelta) -> AsyncIterator[None]:
    """Make the block take at least `duration`, when it completes normally.

    "Email me a link" must take as long for an unknown address as for a known one,
    whose path also writes a token and hands a message to the mail service. Padding to
    a floor above that work hides the difference; errors (throttling) are not padded,
    as they do not depend on the account.
    """
    started = time.monotonic()
    yield
    remaining = duration.total_seconds() - (time.monotonic() - started)
    if remaining > 0:
        await asyncio.sleep(remaining)
