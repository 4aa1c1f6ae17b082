"""`cairn serve --workers 2`: two server processes on one data directory behave as one.

Every request goes on a new connection, and each test finds from /proc which worker held
it: both workers must have answered, so that a per-process lockout, session table,
counter or cursor cannot pass by chance on one worker alone.
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

import httpx
import pytest

from bench.load import Sealed, _server_public, enroll_and_seal
from server import admin
from server.datadir import open_data_dir
from server.ratelimit import DEFAULT_MAX_FAILURES
from server.verify import verify
from sync.receipt import verify_receipt
from tests.e2e.harness import PROJECT, ServerProcess, prepare

DEVICES = 12
BATCHES = 10


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "data"
    prepare(data)
    proc = ServerProcess(data, ("--workers", "2"))
    proc.start()
    yield proc
    proc.stop()


def _children(server: ServerProcess) -> list[int]:
    """The pids of the server's spawned processes (not multiprocessing's tracker)."""
    assert server.proc is not None
    pids = []
    for task in Path(f"/proc/{server.proc.pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                pids.append(int(child))
    return pids


def _holds_listening_socket(server: ServerProcess, pid: int) -> bool:
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == server.port and fields[3] == "0A":  # LISTEN
            inodes.add(f"socket:[{fields[9]}]")
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd) in inodes:
                return True
        except OSError:
            continue
    return False


def _workers(server: ServerProcess) -> list[int]:
    """The pids of the server's worker processes: the children that serve its socket."""
    return [pid for pid in _children(server) if _holds_listening_socket(server, pid)]


def _builder(server: ServerProcess) -> int:
    """The pid of the server's one view builder (the child that serves no socket)."""
    others = [pid for pid in _children(server) if not _holds_listening_socket(server, pid)]
    assert len(others) == 1, f"expected one view builder besides the workers, got {others}"
    return others[0]


def _serving_pid(server: ServerProcess, client_port: int, workers: list[int]) -> int:
    """Which worker holds the server side of the connection from `client_port`."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server.port and (
            int(remote.split(":")[1], 16) == client_port
        ):
            inode = fields[9]
    assert inode is not None
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker holds the connection from port {client_port}")


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes
    worker: int


def _fresh(
    server: ServerProcess,
    workers: list[int],
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request on a new connection (the kernel hands it to either worker), and which
    worker answered it."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        answer = conn.getresponse()
        data = answer.read()
        assert conn.sock is not None
        worker = _serving_pid(server, conn.sock.getsockname()[1], workers)
        return Answer(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data, worker)
    finally:
        conn.close()


def _token(server: ServerProcess) -> str:
    opened = open_data_dir(server.data, create=False)
    try:
        return admin.issue_token(opened.store, "admin", None, actor="test").token
    finally:
        opened.store.close()


def test_concurrent_pushes_through_two_workers_store_each_op_once_with_unique_cursors(
    server: ServerProcess,
) -> None:
    workers = _workers(server)
    assert len(workers) == 2
    sealed = enroll_and_seal(server, DEVICES, 1, BATCHES)
    by_device: dict[str, list[Sealed]] = {}
    for batch in sealed:
        by_device.setdefault(batch.device_id, []).append(batch)
    receipts: list[bytes] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(DEVICES)

    served: set[int] = set()

    def device(batches: list[Sealed]) -> None:
        start.wait()
        for batch in batches:  # a new connection for each push: both workers get some
            try:
                answer = _fresh(server, workers, "POST", "/v1/device/batches", batch.sealed)
            except Exception as exc:
                with lock:
                    errors.append(repr(exc))
                continue
            with lock:
                served.add(answer.worker)
                if answer.status == 200:
                    receipts.append(answer.body)
                else:
                    errors.append(f"{answer.status} {answer.body[:200]!r}")

    threads = [threading.Thread(target=device, args=(b,)) for b in by_device.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert served == set(workers)
    public = _server_public(server)
    opened_receipts = [verify_receipt(raw, public) for raw in receipts]
    total = DEVICES * BATCHES
    assert len(opened_receipts) == total
    assert sum(r.accepted_ops for r in opened_receipts) == total
    assert len({r.batch_id for r in opened_receipts}) == total
    assert len({r.audit_seq for r in opened_receipts}) == total  # one chain, no entry twice

    # The counters of both workers, summed by whichever answers the scrape.
    token = _token(server)
    scraped: set[int] = set()
    for _ in range(40):
        scrape = _fresh(server, workers, "GET", "/metrics", headers=_bearer(token))
        assert f"cairn_batches_accepted_total {float(total)}".encode() in scrape.body
        scraped.add(scrape.worker)
        if scraped == set(workers):
            break
    assert scraped == set(workers)

    server.stop()
    opened = open_data_dir(server.data, create=False)
    try:
        conn = opened.store.reader()
        rows = conn.execute(
            "SELECT actor, counter, pcursor, batch_id FROM ops WHERE project = ?", (PROJECT,)
        ).fetchall()
        assert len(rows) == total
        assert len({(a, c) for a, c, _, _ in rows}) == total  # every op once
        assert sorted(p for _, _, p, _ in rows) == list(range(1, total + 1))  # no gap, no twin
        assert {b for _, _, _, b in rows} == {r.batch_id for r in opened_receipts}
        assert verify(opened.store, opened.keys, opened.forms).problems == []
    finally:
        opened.store.close()


def test_one_view_builder_builds_the_deferred_pushes_of_every_worker(
    server: ServerProcess,
) -> None:
    workers = _workers(server)
    assert len(workers) == 2
    builder = _builder(server)  # one for the server, not one a worker
    token = _token(server)
    listing = f"/v1/projects/{PROJECT}/records?limit=1"
    sealed = enroll_and_seal(server, 4, 300, 1)  # 300 brand-new graves a push: deferred
    os.kill(builder, signal.SIGSTOP)  # the views of those pushes cannot be built yet
    try:
        batches = iter(sealed)
        lock = threading.Lock()

        def push() -> Answer:
            with lock:
                batch = next(batches)
            return _fresh(server, workers, "POST", "/v1/device/batches", batch.sealed)

        answers = _burst(len(sealed), push)
        assert [a.status for a in answers] == [200] * len(sealed)
        served = {a.worker for a in answers}
        # Receipted, and left to the builder by whichever worker took them: a read waits
        # its 2 s for views that cannot come, and says so.
        read = _fresh(server, workers, "GET", listing, headers=_bearer(token))
        assert read.status == 200
        assert read.headers["cairn-views"] == "behind"
    finally:
        os.kill(builder, signal.SIGCONT)
    deadline = time.monotonic() + 30
    seen: set[int] = set()
    while time.monotonic() < deadline:
        read = _fresh(server, workers, "GET", listing, headers=_bearer(token))
        if read.headers["cairn-views"] == "current":
            assert read.status == 200
            seen.add(read.worker)
            if seen == set(workers):
                break
        time.sleep(0.05)
    assert seen == set(workers), f"current on {seen}, pushes served by {served}"
    opened = open_data_dir(server.data, create=False)
    try:
        count = opened.store.reader().execute(
            "SELECT COUNT(*) FROM records WHERE project = ?", (PROJECT,)
        )
        assert count.fetchone()[0] == 4 * 300
    finally:
        opened.store.close()


def test_the_server_stops_when_its_view_builder_dies(server: ServerProcess) -> None:
    assert server.proc is not None
    os.kill(_builder(server), signal.SIGKILL)
    assert server.proc.wait(timeout=30) == 1
    server.stop()  # (gone already: reads the rest of what it printed)
    assert "cairn serve: the view builder stopped; stopping the workers" in "".join(server.output)


def _burst(n: int, request: Callable[[], Answer]) -> list[Answer]:
    """`n` requests at once, each on its own connection: one worker alone would not take
    them all (one after another, the kernel tends to hand every connection to the same
    worker)."""
    start = threading.Barrier(n)

    def one() -> Answer:
        start.wait(timeout=30)
        return request()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return [f.result(timeout=60) for f in [pool.submit(one) for _ in range(n)]]


def _until_both(workers: list[int], request: Callable[[], Answer]) -> list[Answer]:
    """Bursts of requests until both workers have answered some (at most 25 bursts)."""
    answers: list[Answer] = []
    for _ in range(25):
        answers += _burst(8, request)
        if {a.worker for a in answers} == set(workers):
            break
    return answers


def test_lockout_counts_failures_from_every_worker(server: ServerProcess) -> None:
    token = _token(server)
    workers = _workers(server)
    wrong = _burst(
        DEFAULT_MAX_FAILURES,
        lambda: _fresh(server, workers, "GET", "/v1/projects", headers=_bearer("cairn_x")),
    )
    assert [a.status for a in wrong] == [401] * DEFAULT_MAX_FAILURES
    # However the failures fell (all on one worker, or shared so that neither alone saw
    # enough), every worker must now refuse the address: per-process counts could not.
    right = _until_both(
        workers, lambda: _fresh(server, workers, "GET", "/v1/projects", headers=_bearer(token))
    )
    assert {a.worker for a in right} == set(workers)
    assert {a.status for a in right} == {429}  # locked out everywhere, even the right token
    assert all(int(a.headers["retry-after"]) >= 1 for a in right)


def test_a_console_session_holds_on_every_worker(server: ServerProcess) -> None:
    token = _token(server)
    workers = _workers(server)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        page = client.get("/login")
        nonce = page.text.split('name="nonce" value="')[1].split('"')[0]
        answer = client.post("/login", data={"nonce": nonce, "token": token})
        assert answer.status_code == 303
        cookie = answer.cookies["cairn_session"]
        home = client.get("/")
        csrf = home.text.split('name="csrf" value="')[1].split('"')[0]
    session = {"Cookie": f"cairn_session={cookie}"}
    signed_in = _until_both(workers, lambda: _fresh(server, workers, "GET", "/", headers=session))
    assert {a.worker for a in signed_in} == set(workers)
    assert {a.status for a in signed_in} == {200}
    form = urlencode({"csrf": csrf}).encode()
    headers = {**session, "Content-Type": "application/x-www-form-urlencoded"}
    assert _fresh(server, workers, "POST", "/logout", form, headers).status == 303
    signed_out = _until_both(workers, lambda: _fresh(server, workers, "GET", "/", headers=session))
    assert {a.worker for a in signed_out} == set(workers)
    assert {a.status for a in signed_out} == {303}  # the sign-out holds on every worker


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
