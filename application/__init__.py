"""Use cases and the ports they need. Standard library only."""
