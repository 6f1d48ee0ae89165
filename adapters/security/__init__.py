"""Password hashing, password blocklist and token signing."""
