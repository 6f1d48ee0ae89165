"""Ports: the `typing.Protocol`s the use cases depend on; adapters implement them."""
