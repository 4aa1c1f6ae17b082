"""The device protocol against a real `cairn serve`: replay, gap, tampering, refusals."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from server.datadir import open_data_dir
from server.store import sync_tables as st
from sync.client import Device
from sync.receipt import verify_receipt
from tests.e2e.harness import ServerProcess
from tests.examples import GRAVE


def test_replay_gap_and_tampering_over_real_http(
    make_server: Callable[[str], ServerProcess],
    make_device: Callable[[str, ServerProcess], Device],
) -> None:
    server = make_server("protocol")
    dev = make_device("a", server)
    public = dev.store.get_bytes("server_signing_public")
    assert public is not None
    for n in range(3):
        dev.new("site_grave", {**GRAVE, "site_code": f"DSH-2{n}"})
        dev.seal_pending()
    first, second, third = dev.store.pending_batches()
    with httpx.Client(base_url=server.url) as http:
        one = http.post("/v1/device/batches", content=first.sealed)
        assert one.status_code == 200
        again = http.post("/v1/device/batches", content=first.sealed)
        assert again.content == one.content  # a replay gets the very same receipt
        gap = http.post("/v1/device/batches", content=third.sealed)
        assert verify_receipt(gap.content, public).missing_seqs == [2]
        tampered = bytearray(second.sealed)
        tampered[len(tampered) // 2] ^= 0x40
        refused = http.post("/v1/device/batches", content=bytes(tampered))
        assert refused.status_code == 422 and refused.json()["error"]
    # The device itself then pushes what is still without a receipt (batch 2).
    summary = dev.push()
    assert summary.batches == 3 and summary.missing_seqs == []
    dev.pull()
    server.stop()
    opened = open_data_dir(server.data, create=False)
    try:
        conn = opened.store.reader()
        assert len(list(st.iter_records(conn))) == 3
        assert [q.kind for q in st.list_quarantine(conn, None)] == ["batch"]
    finally:
        opened.store.close()
