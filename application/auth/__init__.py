"""Use cases of authentication: sign-up, sign-in, refresh, sign-out, authenticate."""
