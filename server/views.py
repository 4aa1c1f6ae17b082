"""Deferred views: records, identifiers and points built after the commit of the ops.

A push stores in one durable commit everything its receipt promises (raw batch, ops with
their cursor, attachment references, quarantine, audit entry, receipt). The views
(records, identifiers, record_points and the R*Tree) are a pure function of the ops, and
`views_cursor` in the database says up to which global op cursor they are built: they
reflect every op at or below it and none above, because it is written in the same
transaction as the views it describes.

What may be deferred (`fresh_batch`): a batch of at least `DEFER_MIN_OPS` accepted ops
(a small batch's views cost less than the builder's extra commit), every one a lone
Create or Patch of a record that has no state yet and no op after the views cursor, and
that no op-local law refuses. For such an op `sync.merge.apply(None, op)` is the record on its own
and no rule can refuse it (there is no earlier write to cover), so the receipt's list of
refusals is the same whether the record is built now or later, and building it later from
the op cursor gives exactly the rows building it now would give (each record's last
op's cursor and receive time included). Every other batch is merged in the request as
before, after catching the views up, so a law that needs a record's causal past always
sees all of it. The views cursor only moves over ops whose views are written:

- a deferred batch leaves views and cursor as they are;
- a batch merged in the request first catches the views up (cursor = newest op), then
  writes its own records and sets the cursor to its last op;
- `catch_up` applies the ops after the cursor in cursor order and moves the cursor to the
  last one it applied, in one transaction.

Catch-up runs in a builder thread after each deferred commit (`ViewBuilder`), when a data
directory opens (a crash between the two commits), before every write that reads views
(a supervisor's resolution or review, a push touching a record with ops after the cursor,
a push while the backlog is at `MAX_BACKLOG`: backpressure), and in `cairn verify`.
Reads of views wait for the views to cover every op committed before the read began, at
most `READ_WAIT_S` (or build them themselves when no builder runs), and say whether they
do (`Cairn-Views: current` or `behind`).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import multiprocessing.process
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import msgspec

from forms.library import FormLibrary
from server import trace
from server.materialize import apply_stored, record_rules
from server.store import Store
from server.store import sync_tables as st
from sync import laws
from sync.ops import Create, Op, Patch

log = logging.getLogger("cairn.views")

_OP = msgspec.msgpack.Decoder(Op)  # type: ignore[arg-type]

# Only batches of at least this many ops are deferred: a small batch's views cost less
# than the builder's own commit (one more fsync), which many small devices would pay.
DEFER_MIN_OPS = 256
# Ops applied per catch-up transaction (the writer is held meanwhile).
CHUNK = 10_000
# Backpressure: a push is deferred only while fewer ops than this await their views; past
# it the push builds them itself, so the lag stays about one chunk's build.
MAX_BACKLOG = 20_000
# How long a read waits for the views to cover the ops committed before it began.
READ_WAIT_S = 2.0
HEADER = "cairn-views"


def catch_up(forms: FormLibrary, conn: sqlite3.Connection, limit: int | None = None) -> int:
    """Build the views of every op after the views cursor (at most `limit` ops), in cursor
    order, and move the cursor to the last op applied; return how many ops were applied.
    Runs in the caller's write transaction."""
    done = 0
    cursor = st.views_cursor(conn)
    while limit is None or done < limit:
        want = CHUNK if limit is None else min(CHUNK, limit - done)
        rows = st.ops_after(conn, cursor, want)
        if not rows:
            break
        start = 0
        while start < len(rows):  # runs of one project, in cursor order
            project = rows[start][1]
            end = start
            while end < len(rows) and rows[end][1] == project:
                end += 1
            apply_stored(
                forms,
                conn,
                project,
                [(_OP.decode(r[3]), r[4], r[2], r[5]) for r in rows[start:end]],
            )
            start = end
        cursor = rows[-1][0]
        st.set_views_cursor(conn, cursor)
        done += len(rows)
        if len(rows) < want:
            break
    return done


def settle(conn: sqlite3.Connection) -> None:
    """After views written in the request (the views were caught up first): they now
    reflect every op stored, this transaction's included."""
    st.set_views_cursor(conn, st.last_op_cursor(conn))


def backlog(conn: sqlite3.Connection) -> tuple[int, int]:
    """(views cursor, newest op cursor)."""
    return st.views_cursor(conn), st.last_op_cursor(conn)


def fresh_batch(
    forms: FormLibrary,
    ops: Sequence[Op],
    stored: Collection[str],
) -> bool:
    """Whether every op is a lone Create or Patch of a record with no stored state
    (`stored` holds the ids that have one) that no op-local law refuses."""
    seen: set[str] = set()
    rules: dict[str, laws.Rules] = {}
    for op in ops:
        rid = op.record_id
        if rid in seen or rid in stored or not isinstance(op, Create | Patch):
            return False
        seen.add(rid)
        form_rules = rules.get(op.form)
        if form_rules is None:
            form_rules = rules[op.form] = record_rules(forms, op.form)
        if form_rules.groups and laws.local_refusals(form_rules, op):
            return False
    return True


def _build(store: Store, forms: FormLibrary, wake: Any, stop: Any, built: Any) -> None:
    """The builder's loop: after each wake-up, catch up a chunk at a time until current."""
    while not stop.is_set():
        wake.wait()
        wake.clear()
        while not stop.is_set():
            try:
                with store.write() as conn:
                    trace.point("views.begin", str(st.views_cursor(conn)))
                    done = catch_up(forms, conn, CHUNK)
                trace.point("views.commit", str(done))
            except Exception:  # a later write catches up again; never lose the builder
                log.exception("building views failed; retrying in a second")
                time.sleep(1.0)
                continue
            with built.get_lock():
                built.value += done
            if done < CHUNK:
                break


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the server's process ends, however it ends."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the wait below notices the parent go
        pass


class _ParentWatch:
    """An event whose wait also returns, setting `stop`, once the parent process is gone."""

    def __init__(self, wake: Any, stop: Any) -> None:
        self.wake, self.stop, self.parent = wake, stop, os.getppid()

    def wait(self) -> None:
        while not self.wake.wait(1.0):
            if os.getppid() != self.parent:
                self.stop.set()
                return

    def clear(self) -> None:
        self.wake.clear()


def _process_main(path: str, wake: Any, stop: Any, built: Any) -> None:
    """The builder in a process of its own, on its own connection to the database, with
    the built-in form library (the one every data directory serves: server.datadir)."""
    from forms.library import builtin_library

    _die_with_parent()
    store = Store(Path(path))
    try:
        _build(store, builtin_library(), _ParentWatch(wake, stop), stop, built)
    finally:
        store.close()


class ViewBuilder:
    """Catches the views up after each deferred commit: a thread (the default), or a
    process of its own (`Config.views_builder`, what `cairn serve` runs: on its own core, no
    GIL shared with the requests; bench/README.md has what each costs). The process dies
    with the server (a kill of the server kills it too, as a power cut would).

    Pushes are deferred only while one is running (`running`): a context with no builder
    (tests, tools) builds the views in the request as before.
    """

    def __init__(self, store: Store, forms: FormLibrary, mode: str = "thread") -> None:
        self.store = store
        self.forms = forms
        self.mode = mode
        if self.mode not in ("thread", "process"):
            raise ValueError(f"the view builder runs in a thread or process, not {mode!r}")
        if self.mode == "process":
            mp = multiprocessing.get_context("spawn")
            self._wake: Any = mp.Event()
            self._stop: Any = mp.Event()
            self._built: Any = mp.Value("q", 0)
        else:
            self._wake = threading.Event()
            self._stop = threading.Event()
            self._built = _Counter()
        self._worker: threading.Thread | multiprocessing.process.BaseProcess | None = None

    @property
    def built(self) -> int:
        """Ops applied by this builder (tests, benchmarks)."""
        return int(self._built.value)

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        args = (self._wake, self._stop, self._built)
        if self.mode == "process":
            mp = multiprocessing.get_context("spawn")
            self._worker = mp.Process(
                target=_process_main, args=(str(self.store.path), *args), name="cairn-views"
            )
        else:
            self._worker = threading.Thread(
                target=_build, args=(self.store, self.forms, *args), name="cairn-views"
            )
        self._worker.daemon = True
        self._worker.start()
        self._wake.set()  # whatever an earlier run left

    def stop(self) -> None:
        worker = self._worker
        if worker is None:
            return
        self._stop.set()
        self._wake.set()
        worker.join(timeout=30)
        self._worker = None

    def kick(self) -> None:
        """Ops were committed whose views are not built yet."""
        self._wake.set()


class _Counter:
    """`multiprocessing.Value`'s interface, for the thread."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def get_lock(self) -> threading.Lock:
        return self._lock


async def wait_current(
    store: Store, builder: ViewBuilder | None = None, timeout_s: float | None = None
) -> bool:
    """Wait (without holding the event loop) until the views cover every op committed
    when this was called, at most `timeout_s` (`READ_WAIT_S`); return whether they do.
    With no builder running (it died, or none was started) nobody else would build them:
    this read catches them up itself, in a worker thread."""
    conn = store.reader()
    views, target = backlog(conn)
    if views >= target:
        return True
    if builder is not None and not builder.running:
        await asyncio.to_thread(_catch_up_now, store, builder.forms)
        return st.views_cursor(conn) >= target
    deadline = time.monotonic() + (READ_WAIT_S if timeout_s is None else timeout_s)
    while time.monotonic() < deadline:
        await asyncio.sleep(0.005)
        if st.views_cursor(conn) >= target:
            return True
    return False


def _catch_up_now(store: Store, forms: FormLibrary) -> None:
    with store.write() as conn:
        catch_up(forms, conn)


def reads_views(method: str, path: str) -> bool:
    """Whether a request may read the views: every GET or HEAD but the device routes (they
    read the ops), the health check and static files; and an export (a POST)."""
    if method == "POST":
        return path.endswith("/exports")
    if method not in ("GET", "HEAD"):
        return False
    return not path.startswith(("/v1/device", "/v1/health", "/static/", "/field"))


def middleware(store: Store, builder: ViewBuilder) -> Any:
    """ASGI middleware: a read of views waits for them (bounded) and says whether they
    cover every op committed before it began (`Cairn-Views: current` or `behind`)."""

    def factory(app: Any) -> Any:
        async def handle(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http" or not reads_views(scope["method"], scope["path"]):
                await app(scope, receive, send)
                return
            fresh = await wait_current(store, builder)
            value = b"current" if fresh else b"behind"

            async def sending(message: Any) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    headers.append((HEADER.encode(), value))
                    message = {**message, "headers": headers}
                await send(message)

            await app(scope, receive, sending)

        return handle

    return factory
