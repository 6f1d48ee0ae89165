"""Password hashing, password blocklist, token signing and sealing of secrets at rest."""
