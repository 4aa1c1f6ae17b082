"""Cairn server: the Litestar app, storage, auth, exports and the `cairn` command line."""

__version__ = "0.1.0"
