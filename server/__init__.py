"""Cairn server: the Litestar app, storage, auth, exports and the `cairn` command line."""
