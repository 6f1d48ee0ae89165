"""In-memory repositories: real adapters with the store's semantics, for tests and
`--storage memory`. They hold state per process only."""


class InMemoryStoreProbe:
    """Process memory is always reachable."""

    async def ping(self) -> None:
        return None
