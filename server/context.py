"""What every request handler needs, built once per app: config, store, keys, forms,
metrics."""

from __future__ import annotations

import logging
import os

from litestar.di import NamedDependency

from forms.library import FormLibrary
from server.config import Config
from server.metrics import Metrics
from server.runtime import VIEWS_WAKE
from server.store import Store
from server.views import ViewBuilder
from sync.errors import CairnCryptoError
from sync.keys import MANIFEST_FILE, ServerKeys

log = logging.getLogger("cairn.server")


class ServerContext:
    """The running server's shared state (the store serialises writes itself)."""

    def __init__(
        self, *, config: Config, store: Store, keys: ServerKeys, forms: FormLibrary
    ) -> None:
        self.config: Config = config
        self.store: Store = store
        self.forms: FormLibrary = forms
        self.keys_loaded: ServerKeys = keys
        # Looked at on every access to `keys`: joined once, not per request.
        self._manifest = str(config.data_dir / "keys" / MANIFEST_FILE)
        self._stamp = self._keys_stamp()
        runtime = config.runtime_dir
        self.metrics = Metrics(runtime / "metrics" if runtime is not None else None)
        self.metrics.bind(store)
        # Builds records, identifiers and points after a deferred push's commit; pushes are
        # deferred only while it runs (the app starts it), else built in the request. With
        # several workers (a runtime directory) the supervisor runs the one builder.
        if runtime is None:
            self.views = ViewBuilder(store, forms, config.views_builder)
        else:
            self.views = ViewBuilder(store, forms, "shared", runtime / VIEWS_WAKE)

    @property
    def keys(self) -> ServerKeys:
        """The server keys; re-read when keys.json changed (`cairn admin rotate-keys`)."""
        stamp = self._keys_stamp()
        if stamp != self._stamp:
            try:
                self.keys_loaded = ServerKeys.load(self.config.data_dir / "keys")
            except (OSError, ValueError, KeyError, CairnCryptoError) as exc:
                # Caught half-way through a rotation's writes: keep the keys we have.
                log.warning("server keys changed but could not be re-read yet: %s", exc)
            else:
                self._stamp = stamp
        return self.keys_loaded

    @keys.setter
    def keys(self, keys: ServerKeys) -> None:
        self.keys_loaded = keys
        self._stamp = self._keys_stamp()

    def _keys_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._manifest)
        except OSError:
            return None  # keys that live only in memory (tests, benchmarks)
        return (st.st_ino, st.st_mtime_ns, st.st_size)


# Handler parameter types: Litestar injects these by name (see create_app's dependencies).
Cairn = NamedDependency[ServerContext]
