"""Business entities, value objects and errors. Pure Python: no framework, no driver."""
