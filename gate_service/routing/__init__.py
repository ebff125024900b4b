"""Routing: from a requested model to an ordered list of (provider, model, key) attempts."""
