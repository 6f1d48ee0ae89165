"""Driving adapters: settings, composition root, HTTP app, Lambda handler and CLI."""
