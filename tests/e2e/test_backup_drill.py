"""The backup drill, against a real `cairn serve`: back up while a device keeps pushing,
restore into a new directory, compare everything, serve the restored directory and push to
it from a device enrolled before the backup; open the same backup with the `age` CLI."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from server.backup.manifest import decode_manifest
from sync.age import generate_x25519, write_identity_file
from sync.client import Device
from tests.e2e.harness import ServerProcess
from tests.examples import GRAVE
from tests.photos import jpeg

MakeServer = Callable[[str], ServerProcess]
MakeDevice = Callable[[str, ServerProcess], Device]
MAX_PUSHES = 200  # the load loop is bounded whatever happens
LAST_SEQ = "SELECT last_seq FROM devices WHERE device_id = ?"


def _cairn(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _rows(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def _grave(no: int) -> dict[str, object]:
    return {**GRAVE, "grave_no": no}


def _photo(device: Device, path: Path, seed: int) -> str:
    path.write_bytes(jpeg(seed=seed, size=(320, 240)))
    value = device.attachments.attach(path)
    return device.new(
        "photo_log",
        {
            "photo_no": f"DSH-01-P{seed:05d}",
            "file": value,
            "taken_at": "2026-05-01T10:00:00Z",
            "photographer": "A. Aliyev",
            "subject_type": "grave",
        },
    )


class _Pusher(threading.Thread):
    """A device pushing a new record at a time, until told to stop (at most MAX_PUSHES)."""

    def __init__(self, home: Path, first_no: int) -> None:
        super().__init__(daemon=True)
        self.home = home
        self.no = first_no
        self.stop = threading.Event()
        self.pushed_at: list[float] = []
        self.errors: list[BaseException] = []

    def run(self) -> None:
        device = Device(self.home)  # a device home is used by one thread at a time
        try:
            for _ in range(MAX_PUSHES):
                if self.stop.is_set():
                    return
                self.no += 1
                device.new("site_grave", _grave(self.no))
                summary = device.push()
                assert summary.refused == [], summary.refused
                self.pushed_at.append(time.monotonic())
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)
        finally:
            device.close()


@pytest.mark.skipif(shutil.which("age") is None, reason="needs the age CLI (Debian age)")
def test_backup_under_load_restores_a_server_that_verifies_serves_and_takes_pushes(
    tmp_path: Path, make_server: MakeServer, make_device: MakeDevice
) -> None:
    live = make_server("live")
    photographer, pusher_device = make_device("camera", live), make_device("pusher", live)
    photos = [_photo(photographer, tmp_path / f"p{n}.jpg", n) for n in range(1, 4)]
    assert photographer.push().attachments == 3
    for no in range(1, 6):
        pusher_device.new("site_grave", _grave(no))
    pusher_device.push()
    pusher_id, pusher_home = pusher_device.device_id, pusher_device.home
    pusher_device.close()

    identity = generate_x25519()
    key = tmp_path / "backup-key.txt"
    write_identity_file(key, identity)
    backup = tmp_path / "cairn.backup.age"

    pusher = _Pusher(pusher_home, 5)
    pusher.start()
    while not pusher.pushed_at and pusher.is_alive():
        time.sleep(0.01)
    started = time.monotonic()
    made = _cairn(
        "backup", "--data", str(live.data), "--out", str(backup), "-r", str(identity.recipient())
    )
    ended = time.monotonic()
    time.sleep(0.3)  # a few pushes after the backup too: they must not be in it
    pusher.stop.set()
    pusher.join(timeout=120)
    assert pusher.errors == [] and not pusher.is_alive()
    assert made.returncode == 0, made.stderr
    # Pushes after the backup, whether or not the pusher's bounded loop reached past it
    # (a push takes a few ms: all of its pushes may fall inside the backup).
    after = Device(pusher_home)
    try:
        for no in range(9001, 9004):
            after.new("site_grave", _grave(no))
        assert after.push().refused == []
    finally:
        after.close()
    assert any(started <= t <= ended for t in pusher.pushed_at), "no push during the backup"
    assert backup.stat().st_mode & 0o777 == 0o600

    restored = tmp_path / "restored"
    done = _cairn("restore", str(backup), "--identity", str(key), "--data", str(restored))
    assert done.returncode == 0, done.stderr
    live.stop()  # the live directory is now still: compare at leisure

    # Every op and record in the backup is the live server's, byte for byte, and the
    # backup holds a prefix of the live op log (what came after the snapshot is not in it).
    db, live_db = restored / "cairn.db", live.data / "cairn.db"
    ops = _rows(db, "SELECT * FROM ops ORDER BY cursor")
    live_ops = _rows(live_db, "SELECT * FROM ops ORDER BY cursor")
    assert ops == live_ops[: len(ops)] and 0 < len(ops) < len(live_ops)
    records = _rows(db, "SELECT record_id, * FROM records ORDER BY project, record_id")
    wanted = {r[0] for r in records}
    assert records == [
        r
        for r in _rows(live_db, "SELECT record_id, * FROM records ORDER BY project, record_id")
        if r[0] in wanted
    ]
    assert set(photos) <= wanted
    for table in ("devices", "batches", "attachment_blobs", "attachment_uploads", "tokens"):
        got = _rows(db, f"SELECT * FROM {table} ORDER BY 1, 2")
        assert got, table
        if table != "devices":  # last_seq and last_seen move on in the live one
            live_rows = set(_rows(live_db, f"SELECT * FROM {table}"))
            assert set(got) <= live_rows, table

    # Audit heads: the manifest's are the live chains' entries at the snapshot; the restored
    # project chain ends exactly there, the server chain adds one entry, the restore.
    age_tar = tmp_path / "opened"
    age_tar.mkdir()
    decrypted = subprocess.run(
        f"age -d -i {key} {backup} | tar -x -C {age_tar}", shell=True, capture_output=True
    )
    assert decrypted.returncode == 0, decrypted.stderr
    (top,) = age_tar.iterdir()
    manifest = decode_manifest((top / "manifest.json").read_bytes())
    tail = "SELECT seq, hash, kind FROM audit_chain WHERE chain = ? AND seq >= ? ORDER BY seq"
    for chain, head in manifest.audit_heads.items():
        live_tail = _rows(live_db, tail, chain, head.seq)
        restored_tail = _rows(db, tail, chain, head.seq)
        assert live_tail[0][:2] == restored_tail[0][:2] == (head.seq, head.hash), chain
        after = [kind for _seq, _hash, kind in restored_tail[1:]]
        assert after == (["restore"] if chain == "server" else []), chain
    kinds = [r[0] for r in _rows(live_db, "SELECT kind FROM audit_chain WHERE chain = 'server'")]
    assert "backup" in kinds and "restore" not in kinds

    # The age CLI opens the same backup; minisign and sha256sum check it; the files in it
    # are the live ones.
    subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=top, check=True)
    if shutil.which("minisign"):
        subprocess.run(
            ["minisign", "-Vq", "-p", "cairn.pub", "-m", "manifest.json"], cwd=top, check=True
        )
    for path in (live.data / "keys").iterdir():
        assert (top / "data" / "keys" / path.name).read_bytes() == path.read_bytes()
        assert (restored / "keys" / path.name).stat().st_mode & 0o777 == 0o600
    blobs = sorted((live.data / "attachments" / "blobs").glob("??/*"))
    assert len(blobs) == 3 and manifest.counts["attachment_files"] == 6  # 3 blobs, 3 sealed
    for blob in blobs:
        copy = restored / blob.relative_to(live.data)
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == blob.name
    assert json.loads((restored / "cairn.json").read_text())["instance_id"] == manifest.instance_id

    checked = _cairn("verify", "--data", str(restored))
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # The restored server serves, where the old one listened: a device enrolled before the
    # backup pushes, is accepted, and its seq continues; the gap since the snapshot is named.
    (backed_up_seq,) = _rows(db, LAST_SEQ, pusher_id)[0]
    server = ServerProcess(restored)
    server.port, server.url = live.port, live.url
    server.start()
    pusher_device = Device(pusher_home)
    try:
        pusher_device.new("site_grave", _grave(10_000))
        summary = pusher_device.push()
        assert summary.refused == [] and summary.batches == 1
        new_seq = pusher_device.store.max_seq()
        assert new_seq > backed_up_seq
        assert summary.missing_seqs == list(range(backed_up_seq + 1, new_seq))
        photographer.pull()
        assert photographer.store.max_seq() >= 1
    finally:
        pusher_device.close()
        server.stop()
    (last,) = _rows(db, LAST_SEQ, pusher_id)[0]
    assert last == new_seq
    assert _cairn("verify", "--data", str(restored)).returncode == 0
