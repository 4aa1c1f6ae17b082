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
that no op-local law refuses. For such an op `sync.merge.apply(None, op)` is the record
on its own and no rule can refuse it (there is no earlier write to cover), so the receipt's list of
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

Catch-up runs in the builder (`ViewBuilder`, a thread or a process; `build_chunk`, which
holds the writer only to write) after each deferred commit, when a data
directory opens (a crash between the two commits), before every write that reads views
(a supervisor's resolution or review, a push touching a record with ops after the cursor,
a push while the backlog is at `MAX_BACKLOG`: backpressure), and in `cairn verify`.
Reads of views wait for the views to cover every op committed before the read began, at
most `READ_WAIT_S` (or build them themselves when no builder runs), and say whether they
do (`Cairn-Views: current` or `behind`).

When the views are current, and every `POLL_S` without a wake-up, the builder also makes
the downloads' renders of the records changed since (`server.export.renders.sweep`, a chunk
at a time, stopping for views as soon as a wake-up arrives). Reads never wait for renders:
a download renders itself whatever record has no matching render.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import os
import select
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import msgspec

from forms.library import FormLibrary
from server import trace
from server.export import renders
from server.materialize import apply_stored, derive_stored, record_rules, write_derived
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
# The builder looks for renders to make this often even when nobody wakes it: pushes merged
# in the request change records without a wake-up.
POLL_S = 1.0


def _by_project(
    rows: Sequence[tuple[int, str, int, bytes, bool, int]],
) -> dict[str, list[tuple[Op, bool, int, int]]]:
    """Ops after the cursor by project, each project's in cursor order (so each record's
    are too: records are independent of one another), ready for `apply_stored`."""
    out: dict[str, list[tuple[Op, bool, int, int]]] = {}
    for _, project, pcursor, blob, suspect, at_ms in rows:
        out.setdefault(project, []).append((_OP.decode(blob), suspect, pcursor, at_ms))
    return out


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
        for project, ops in _by_project(rows).items():
            apply_stored(forms, conn, project, ops)
        cursor = rows[-1][0]
        st.set_views_cursor(conn, cursor)
        done += len(rows)
        if len(rows) < want:
            break
    return done


def build_chunk(store: Store, forms: FormLibrary, limit: int = CHUNK) -> int | None:
    """The builder's catch-up of at most `limit` ops, the writer held only to write: the
    rows are worked out from a read snapshot at the views cursor, then written, with the
    cursor moved, in a write transaction that finds the cursor where the snapshot had it.
    That proves the rows still hold: every write of views moves the cursor forward (a
    catch-up, or a write in the request after one), and the cursor never moves back.
    Returns how many ops were applied, or None when the cursor had moved (try again)."""
    with store.snapshot() as conn:
        cursor = st.views_cursor(conn)
        rows = st.ops_after(conn, cursor, limit)
        if not rows:
            return 0
        derived = [
            derive_stored(forms, conn, project, ops)[0]
            for project, ops in _by_project(rows).items()
        ]
    with store.write() as conn:
        trace.point("views.begin", str(cursor))
        if st.views_cursor(conn) != cursor:
            return None
        for rows_of_project in derived:
            write_derived(conn, rows_of_project)
        st.set_views_cursor(conn, rows[-1][0])
    trace.point("views.commit", str(len(rows)))
    return len(rows)


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


def _render(store: Store, forms: FormLibrary, signal_: _Signal) -> None:
    """Make the renders of the records changed since the last sweep (server.export.renders),
    a chunk at a time, while no views wait to be built."""
    while not signal_.stopping and not signal_.pending():
        try:
            if renders.sweep(store, forms) == 0:
                return
        except Exception:  # downloads render what has no render; the next wake-up retries
            log.exception("making the records' renders failed")
            return


def _build(store: Store, forms: FormLibrary, signal_: _Signal) -> None:
    """The builder's loop: after each wake-up, catch up a chunk at a time until current;
    then, and every `POLL_S` without a wake-up, make the renders of the records that
    changed."""
    while signal_.wait():
        while signal_.woken and not signal_.stopping:
            try:
                done = build_chunk(store, forms)
            except Exception:  # a later write catches up again; never lose the builder
                log.exception("building views failed; retrying in a second")
                time.sleep(1.0)
                continue
            if done is None:
                continue  # the cursor moved meanwhile: work out the rest again
            signal_.built(done)
            if done < CHUNK:
                break
        _render(store, forms, signal_)


class _Signal:
    """Wake-ups and the stop of a builder thread (threading events)."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.count = 0
        self.woken = False

    @property
    def stopping(self) -> bool:
        return self.stop.is_set()

    def wait(self) -> bool:
        """Block until woken or `POLL_S` has passed (`woken` says which); False once
        stopped."""
        self.woken = self.wake.wait(POLL_S)
        self.wake.clear()
        return not self.stop.is_set()

    def pending(self) -> bool:
        """Whether a wake-up came since the last `wait`."""
        return self.wake.is_set()

    def built(self, n: int) -> None:
        self.count += n


class _PipeSignal(_Signal):
    """The builder process's end: wake-ups and the stop arrive as messages on a pipe (no
    semaphores: nothing for multiprocessing's resource tracker to leave behind), and the
    ops built go back on it. A parent that went away stops it too."""

    def __init__(self, conn: Any, count: Any, wake: socket.socket | None = None) -> None:
        super().__init__()
        self.conn = conn
        self.shared = count
        self.parent = os.getppid()
        self.stopped = False
        # With `cairn serve --workers N`: the workers' wake-ups (`ViewBuilder` "shared").
        self.sock = wake

    @property
    def stopping(self) -> bool:
        return self.stopped

    def wait(self) -> bool:
        while not self.stopped:
            sources = [self.conn] if self.sock is None else [self.conn, self.sock]
            if not multiprocessing.connection.wait(sources, POLL_S):
                self.stopped = os.getppid() != self.parent
                self.woken = False
                return not self.stopped
            self.woken = True
            while self.conn.poll():  # every wake-up sent meanwhile is one
                try:
                    message = self.conn.recv_bytes()
                except EOFError:
                    message = b"stop"
                if message == b"stop":
                    self.stopped = True
            self._drain()
            return not self.stopped
        return False

    def _drain(self) -> None:
        """Take every wake-up a worker sent meanwhile (they are all one)."""
        while self.sock is not None:
            try:
                self.sock.recv(64)
            except BlockingIOError:
                return

    def pending(self) -> bool:
        if self.conn.poll():
            return True
        return self.sock is not None and bool(select.select([self.sock], [], [], 0)[0])

    def built(self, n: int) -> None:
        self.shared.value += n  # only this process writes it


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the server's process ends, however it ends."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the wait notices the parent go
        pass


def _process_main(path: str, conn: Any, count: Any, wake: Any = None) -> None:
    """The builder in a process of its own, on its own connection to the database, with
    the built-in form library (the one every data directory serves: server.datadir)."""
    from forms.library import builtin_library

    _die_with_parent()
    # A Ctrl-C at the terminal reaches the whole process group: the server stops this
    # process itself (its "stop" message, or its death), so the builder ignores it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if wake is not None:
        wake.setblocking(False)
    store = Store(Path(path))
    try:
        _build(store, builtin_library(), _PipeSignal(conn, count, wake))
    finally:
        store.close()
        if wake is not None:
            wake.close()


def _wake_socket(path: Path) -> socket.socket:
    """The shared builder's end of the workers' wake-ups: a Unix datagram socket at `path`
    (in the runtime directory, 0700), non-blocking."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # left by a builder that was killed
    sock.bind(str(path))
    sock.setblocking(False)
    return sock


def _relay(sock: socket.socket, signal_: _Signal) -> None:
    """A thread builder's wake-ups from the workers: each datagram is a `kick`."""
    sock.settimeout(POLL_S)
    while not signal_.stopping:
        try:
            sock.recv(64)
        except TimeoutError:
            continue
        except OSError:  # closed by `stop`
            return
        signal_.wake.set()


class ViewBuilder:
    """Catches the views up after each deferred commit: a thread (the default), or a
    process of its own (`Config.views_builder`, what `cairn serve` runs: on its own core, no
    GIL shared with the requests; bench/README.md has what each costs). The process dies
    with the server (a kill of the server kills it too, as a power cut would).

    With `cairn serve --workers N` one builder serves every worker: the supervisor runs it
    (thread or process) with `wake_path`, a Unix datagram socket in the runtime directory,
    and each worker's builder is "shared": it builds nothing and its `kick` is a datagram
    to that socket. (One builder a worker made two work out the same backlog, the loser's
    work thrown away, and sweep the same renders.)

    Pushes are deferred only while one is running (`running`): a context with no builder
    (tests, tools) builds the views in the request as before; so does a worker whose
    shared builder refused a wake-up (gone: the supervisor stops the server then).
    """

    def __init__(
        self,
        store: Store,
        forms: FormLibrary,
        mode: str = "thread",
        wake_path: Path | None = None,
    ) -> None:
        self.store = store
        self.forms = forms
        self.mode = mode
        if self.mode not in ("thread", "process", "shared"):
            raise ValueError(f"the view builder runs in a thread or process, not {mode!r}")
        if self.mode == "shared" and wake_path is None:
            raise ValueError("a shared view builder needs the path of its wake-up socket")
        self.wake_path = wake_path
        self._signal = _Signal()
        self._conn: Any = None  # the process's pipe
        self._count: Any = None  # ops it built (shared memory, no lock: one writer)
        self._lock = threading.Lock()
        self._worker: threading.Thread | multiprocessing.process.BaseProcess | None = None
        self._wake: socket.socket | None = None  # the wake-up socket (either end)
        self._alive = False  # "shared": the builder took the last wake-up

    @property
    def built(self) -> int:
        """Ops applied by this builder (tests, benchmarks)."""
        if self._count is None:
            return self._signal.count
        return int(self._count.value)

    @property
    def running(self) -> bool:
        if self.mode == "shared":
            return self._alive
        return self._worker is not None and self._worker.is_alive()

    def start(self) -> None:
        if self.running:
            return
        if self.mode == "shared":
            assert self.wake_path is not None
            self._wake = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._wake.setblocking(False)
            self._alive = True
            self.kick()  # whatever an earlier run left; finds out whether it is there
            return
        if self.wake_path is not None:
            self._wake = _wake_socket(self.wake_path)
        if self.mode == "process":
            mp = multiprocessing.get_context("spawn")
            self._conn, theirs = mp.Pipe()
            self._count = mp.RawValue("q", 0)
            self._worker = mp.Process(
                target=_process_main,
                args=(str(self.store.path), theirs, self._count, self._wake),
                name="cairn-views",
            )
        else:
            self._signal = _Signal()
            self._worker = threading.Thread(
                target=_build, args=(self.store, self.forms, self._signal), name="cairn-views"
            )
            if self._wake is not None:
                relay = threading.Thread(
                    target=_relay, args=(self._wake, self._signal), name="cairn-views-wake"
                )
                relay.daemon = True
                relay.start()
        self._worker.daemon = True
        self._worker.start()
        if self.mode == "process" and self._wake is not None:
            # The process has its own copy now: with this one closed, a builder that died
            # leaves nobody bound, and the workers' next wake-up is refused at once.
            self._wake.close()
            self._wake = None
        self.kick()  # whatever an earlier run left

    def stop(self) -> None:
        if self.mode == "shared":
            self._alive = False
            if self._wake is not None:
                self._wake.close()
                self._wake = None
            return
        worker = self._worker
        if worker is None:
            return
        if self._conn is not None:
            # A Ctrl-C reaches the builder too (same process group): gone already is fine.
            self._send(b"stop", gone_ok=True)
        else:
            self._signal.stop.set()
            self._signal.wake.set()
        worker.join(timeout=30)
        self._worker = None
        if self._wake is not None:
            self._wake.close()
            self._wake = None
        if self.wake_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.wake_path.unlink()

    def kick(self) -> None:
        """Ops were committed whose views are not built yet."""
        if self.mode == "shared":
            self._kick_shared()
        elif self._conn is not None:
            self._send(b"wake")
        else:
            self._signal.wake.set()

    def _kick_shared(self) -> None:
        sock = self._wake
        if sock is None:
            return
        try:
            sock.sendto(b"w", str(self.wake_path))
        except BlockingIOError:  # its queue is full of wake-ups: it is woken already
            pass
        except OSError:  # nobody at the socket: pushes stop deferring, reads catch up
            if self._alive:
                log.warning("the server's view builder has stopped")
            self._alive = False
        else:
            self._alive = True

    def _send(self, message: bytes, gone_ok: bool = False) -> None:
        with self._lock:
            try:
                self._conn.send_bytes(message)
            except OSError:  # the process is gone: pushes stop deferring, reads catch up
                if not gone_ok:
                    log.warning("the view builder process has stopped")


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
