"""What every request handler needs, built once per app: config, store, keys, forms."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import NamedDependency

from forms.library import FormLibrary
from server.config import Config
from server.store import Store
from sync.keys import ServerKeys


@dataclass
class ServerContext:
    """The running server's shared state (the store serialises writes itself)."""

    config: Config
    store: Store
    keys: ServerKeys
    forms: FormLibrary


# Handler parameter types: Litestar injects these by name (see create_app's dependencies).
Cairn = NamedDependency[ServerContext]
