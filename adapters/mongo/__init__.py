"""MongoDB adapters over PyMongo's `AsyncMongoClient` or Motor (selected by settings).

Both drivers expose the same awaitable collection API for what these adapters use, so
the repositories take a database handle from either.
"""
