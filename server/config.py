"""Typed server configuration, built once by `load_config` and passed down explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

DEFAULT_DATA_DIR = Path("cairn-data")
DATA_ENV = "CAIRN_DATA"


class Config(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the server needs to run; tests build it directly."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    # Largest sealed batch a device may push (POST /v1/device/batches); a 10,000-record
    # batch is about 3 MB.
    max_batch_bytes: int = 64 * 1024 * 1024
    # Largest body of every other route: the JSON of the admin, review and export routes,
    # and a device's enrollment and pull requests.
    max_json_bytes: int = 1024 * 1024
    # Ops per sealed pull page.
    pull_page_ops: int = 5_000
    # A device stamp further ahead of the server's clock than this is kept but flagged.
    max_clock_ahead_ms: int = 5 * 60 * 1000
    # Map tiles for the console's maps ({z}/{x}/{y}); None: a plain background and a scale.
    tile_url: str | None = None
    # Batches no enrolled device signed go to the server-level quarantine: at most this
    # many per client address a minute (then 429), their bytes kept while all of them
    # together stay under `max_stray_bytes` (then only size, hash and reason).
    stray_per_minute: int = 20
    max_stray_bytes: int = 64 * 1024 * 1024
    # Largest attachment (a photo, a scan) a device may upload, in plaintext bytes; a
    # larger one is refused with 413 before any of its bytes are stored.
    max_attachment_bytes: int = 200 * 1024 * 1024
    # Largest piece of a sealed attachment one upload request may carry.
    max_chunk_bytes: int = 8 * 1024 * 1024
    # Uploads are refused with 507 when less than this much disk would remain free.
    min_free_bytes: int = 64 * 1024 * 1024
    # Concurrent pushes share one durable commit (server.store.Store.write_grouped); off,
    # each pays its own (for measuring, or to rule the grouping out when diagnosing).
    group_commit: bool = True
    # Where the views of a deferred push are built (server.views): "thread" in the server's
    # process, or "process", one of its own (its own core and interpreter: no GIL shared
    # with the requests; `cairn serve` uses it).
    views_builder: str = "thread"
    # `cairn serve --workers N` with N > 1: the directory the workers share their lockout,
    # sessions, metrics and locks in (server/runtime.py); None: one process, in memory.
    runtime_dir: Path | None = None


def resolve_data_dir(option: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """The data directory: the --data option, else $CAIRN_DATA, else ./cairn-data."""
    env = os.environ if environ is None else environ
    if option:
        return Path(option)
    if env.get(DATA_ENV):
        return Path(env[DATA_ENV])
    return DEFAULT_DATA_DIR


def load_config(
    data_dir: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: object,
) -> Config:
    """Build a Config from an explicit data directory (or $CAIRN_DATA) and overrides."""
    path = resolve_data_dir(str(data_dir) if data_dir is not None else None, environ)
    return msgspec.structs.replace(Config(data_dir=path), **overrides)
