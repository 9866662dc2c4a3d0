"""Secrets on disk: signing keys, bearer tokens, the store key, files only their owner reads."""
