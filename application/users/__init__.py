"""Use cases on user accounts: create, read, list, update, delete, change password."""
