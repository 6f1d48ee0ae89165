"""Implementations of the application's ports: memory, security, system (and later Mongo)."""
