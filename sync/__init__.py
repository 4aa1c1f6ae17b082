"""Cairn sync core: operations, clocks, merge, sealed batches and the device client."""
