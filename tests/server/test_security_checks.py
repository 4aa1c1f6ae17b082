"""Security checks: replays, revoked signers, enrollment codes, projects, sizes, tokens.

Each test is an attack a stranger or a lost device could try, and what must happen: a
clear 4xx, nothing changed, the attempt kept where the design says it is kept. Token
guessing: no timing difference between near-miss and random tokens, and a lockout per
client address (policy in server/ratelimit.py).
"""

from __future__ import annotations

import contextlib
import gc
import random
import statistics
import string
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server import admin, auth
from server import devices as server_devices
from server.app import create_app
from server.clock import now_ms
from server.config import load_config
from server.datadir import DataDir
from server.errors import Unauthorized
from server.ratelimit import FailedAuthLimiter
from server.store import audit_log
from server.store import sync_tables as st
from sync import wire
from sync.client import Device, Refused
from sync.keys import DeviceKeys
from tests.examples import GRAVE
from tests.fuzz.conftest import consolidated
from tests.server.conftest import BASE, PROJECT, AppTransport

MakeDevice = Callable[[str], Device]
OTHER = "AZ-EDILLI"


def _state(data: DataDir) -> tuple[object, ...]:
    conn = data.store.reader()
    (batches,) = conn.execute("SELECT COUNT(*) FROM batches").fetchone()
    return consolidated(data), batches, st.max_cursor(conn)


def test_an_old_batch_replayed_after_later_edits_changes_nothing(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    dev = make_device("team-a")
    record_id = dev.new("site_grave", GRAVE)
    dev.push()
    first = next(st.iter_batches(data.store.reader()))
    dev.edit(record_id, {"status": "closed"})
    dev.push()
    before, head = _state(data), audit_log.heads(data.store.reader())
    for _ in range(3):
        again = client.post("/v1/device/batches", content=first.sealed)
        assert again.status_code == 200 and again.content == first.receipt
    assert _state(data) == before and audit_log.heads(data.store.reader()) == head
    assert dev.record(record_id).fields["status"].value == "closed"


def test_a_batch_sealed_before_revocation_is_refused_and_quarantined(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    dev = make_device("lost-tablet")
    dev.new("site_grave", GRAVE)
    dev.seal_pending()
    (batch,) = dev.store.pending_batches()
    admin.revoke_device(data.store, dev.device_id, "test")
    before = _state(data)
    answer = client.post("/v1/device/batches", content=batch.sealed)
    assert answer.status_code == 403 and answer.json()["error"] == "revoked_signer"
    assert _state(data) == before
    (kept,) = st.list_quarantine(data.store.reader(), None)
    assert (kept.code, kept.payload) == ("revoked_signer", batch.sealed)
    with pytest.raises(Refused, match="revoked"):
        dev.pull()


def _enroll(client: TestClient, code: str) -> tuple[int, str]:  # type: ignore[type-arg]
    public = DeviceKeys.generate().public()
    request = wire.EnrollRequest(
        code=code,
        signing_public=public.signing_public,
        encryption_recipient=public.encryption_recipient,
    )
    answer = client.post("/v1/device/enroll", content=wire.encode(request))
    return answer.status_code, answer.json()["error"] if answer.status_code >= 400 else ""


def test_expired_reused_and_unknown_enrollment_codes_are_refused(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expired = admin.issue_enroll_code(data.store, PROJECT, 60, "test").code
    once = admin.issue_enroll_code(data.store, PROJECT, 3600, "test").code
    devices = len(admin.list_devices(data.store, None))
    later = now_ms() + 120_000
    with monkeypatch.context() as m:
        m.setattr(server_devices, "now_ms", lambda: later)
        assert _enroll(client, expired) == (410, "code_expired")
    assert _enroll(client, once) == (201, "")
    assert _enroll(client, once) == (410, "code_used")
    assert _enroll(client, once.lower().replace("-", " ")) == (410, "code_used")
    assert _enroll(client, "AAAA-BBBB-CCCC-DDDD") == (401, "unknown_code")
    assert len(admin.list_devices(data.store, None)) == devices + 1


@pytest.fixture
def other_project_device(data: DataDir, client: TestClient, tmp_path: Path) -> Iterator[Device]:  # type: ignore[type-arg]
    """A device enrolled in another project."""
    admin.create_project(data.store, OTHER, "Edilli", "test")
    code = admin.issue_enroll_code(data.store, OTHER, 3600, "test").code
    device = Device(tmp_path / "other", transport=AppTransport(client), sleep=lambda _s: None)
    device.enroll(BASE, code, label="other")
    yield device
    device.close()


def test_nothing_crosses_projects_for_devices_or_supervisors(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    other_project_device: Device,
) -> None:
    src = make_device("team-a")
    src.new("site_grave", GRAVE)
    src.push()
    assert other_project_device.pull().ops == 0
    assert other_project_device.records() == []
    rid = src.records()[0].id
    other = {
        "Authorization": f"Bearer {admin.issue_token(data.store, 'supervisor', OTHER, 't').token}"
    }
    for path in (
        f"/v1/projects/{PROJECT}/records",
        f"/v1/projects/{PROJECT}/conflicts",
        f"/v1/projects/{PROJECT}/quarantine",
        f"/v1/records/{rid}",
        f"/v1/records/{rid}/history",
    ):
        answer = client.get(path, headers=other)
        assert answer.status_code == 404, path


def test_oversized_bodies_are_refused_unread_with_413(data: DataDir) -> None:
    app = create_app(load_config(data.path, max_batch_bytes=64 * 1024, max_json_bytes=4096), data)
    before = _state(data)
    with TestClient(app, base_url=BASE) as small:
        body = b"CAIRN-SEALED-BATCH/1\n" + bytes(100 * 1024)
        assert small.post("/v1/device/batches", content=body).status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            for _ in range(100):
                yield bytes(1024)

        assert small.post("/v1/device/batches", content=chunks()).status_code == 413
        for route in ("enroll", "pull"):
            answer = small.post(f"/v1/device/{route}", content=bytes(8192))
            assert answer.status_code == 413 and answer.json()["error"] == "too_large"
        assert _state(data) == before
        assert st.list_quarantine(data.store.reader(), None) == []


def test_wrong_tokens_lock_the_address_out_with_429_and_retry_after(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    admin_headers: dict[str, str],
) -> None:
    client.app.state.auth_limiter = FailedAuthLimiter(max_failures=5, window_s=60)
    wrong = {"Authorization": "Bearer cairn_" + "x" * 43}
    assert [client.get("/v1/projects", headers=wrong).status_code for _ in range(5)] == [401] * 5
    locked = client.get("/v1/projects", headers=wrong)
    assert locked.status_code == 429 and locked.json()["error"] == "too_many_failures"
    assert 1 <= int(locked.headers["retry-after"]) <= 60
    # Even the right token is not looked at while locked out: no oracle for a guesser.
    assert client.get("/v1/projects", headers=admin_headers).status_code == 429
    assert client.get("/v1/health").status_code == 200


def test_the_lockout_is_per_address_and_ends_with_the_window() -> None:
    now = [0.0]
    limiter = FailedAuthLimiter(max_failures=3, window_s=10, max_clients=2, clock=lambda: now[0])
    for _ in range(3):
        limiter.record_failure("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 10
    assert limiter.retry_after("10.0.0.2") is None
    now[0] = 9.5
    assert limiter.retry_after("10.0.0.1") == 1
    now[0] = 10.0
    assert limiter.retry_after("10.0.0.1") is None
    limiter.record_failure("a")
    limiter.record_failure("b")
    limiter.record_failure("c")  # the table holds two addresses: the oldest goes
    assert set(limiter._failures) == {"b", "c"}


def _spin(ns: int) -> None:
    end = time.perf_counter_ns() + ns
    while time.perf_counter_ns() < end:
        pass


def _median_shift(first: list[int], second: list[int]) -> float:
    """Difference of the medians (ns) of two interleaved samples: robust to outliers."""
    return statistics.median(first) - statistics.median(second)


def _time_pairs(
    check: Callable[[str], object], near: Callable[[], str], far: Callable[[], str], n: int
) -> tuple[list[int], list[int]]:
    rng = random.Random(7)
    near_t: list[int] = []
    far_t: list[int] = []
    for _ in range(n):
        order = [(near_t, near()), (far_t, far())]
        rng.shuffle(order)
        for sink, token in order:
            start = time.perf_counter_ns()
            with contextlib.suppress(Unauthorized):
                check(token)
            sink.append(time.perf_counter_ns() - start)
    return near_t, far_t


def test_token_checks_leak_no_timing_about_how_much_of_a_guess_is_right(data: DataDir) -> None:
    real = admin.issue_token(data.store, "supervisor", PROJECT, "test").token
    conn = data.store.reader()
    alphabet = string.ascii_letters + string.digits + "-_"
    rng = random.Random(3)

    def near() -> str:  # all but the last 3 characters right
        return real[:-3] + "".join(rng.choice(alphabet) for _ in range(3))

    def far() -> str:
        return auth.TOKEN_PREFIX + "".join(rng.choice(alphabet) for _ in range(len(real) - 6))

    def check(token: str) -> object:
        return auth.authenticate(conn, f"Bearer {token}")

    gc.disable()
    try:
        _time_pairs(check, near, far, 200)  # warm up
        near_t, far_t = _time_pairs(check, near, far, 3000)
        # The same statistic must see a planted leak: 5 µs more when the prefix is right.
        leaky_near, leaky_far = _time_pairs(
            lambda t: (_spin(5_000) if t[:-3] == real[:-3] else None, check(t)),
            near,
            far,
            300,
        )
    finally:
        gc.enable()
    typical = statistics.median(far_t)
    shift = _median_shift(near_t, far_t)
    assert abs(shift) < max(1_000, 0.05 * typical), (shift, typical)
    assert _median_shift(leaky_near, leaky_far) > max(1_000, 0.05 * typical)


JSON_ROUTES = [
    "/v1/projects",
    "/v1/tokens",
    "/v1/projects/AZ-DASHALTI/enroll-codes",
    "/v1/keys/rotate",
    "/v1/records/018f0000-0000-7000-8000-00000000dead/resolutions",
    "/v1/records/018f0000-0000-7000-8000-00000000dead/review",
    "/v1/projects/AZ-DASHALTI/exports",
]


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_every_json_route_has_the_one_configured_json_limit(data: DataDir, path: str) -> None:
    assert data.first_admin_token is not None
    headers = {"Authorization": f"Bearer {data.first_admin_token.token}"}
    config = load_config(data.path, max_batch_bytes=256 * 1024, max_json_bytes=4096)
    over = {"pad": "x" * 8192}  # over the JSON limit, far under the batch limit
    with TestClient(create_app(config, data), base_url=BASE) as small:
        answer = small.post(path, json=over, headers=headers)
        assert answer.status_code == 413, answer.text
        assert answer.json()["message"] == (
            "the request body is over this route's limit of 4096 bytes; send less"
        )
        under = small.post(path, json={"pad": "x" * 3000}, headers=headers)
        assert under.status_code != 413  # under the limit: judged on what it says
    with TestClient(create_app(load_config(data.path), data), base_url=BASE) as default:
        big = {"pad": "x" * (2 * 1024 * 1024)}  # over the default 1 MiB, under 64 MiB
        assert default.post(path, json=big, headers=headers).status_code == 413
