"""A user's signed-in devices (refresh-token families) and ending them."""
