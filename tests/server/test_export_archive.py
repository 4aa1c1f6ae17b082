"""The encrypted archive opened and checked with Debian's standard tools alone."""

from __future__ import annotations

import base64
import csv
import gc
import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server.audit.chain import project_chain
from server.datadir import DataDir
from server.errors import BadRequest
from server.export.archive import ExportSource, export_to_file, prepare_archive
from server.store import audit_log
from sync import ops
from sync.age import generate_hybrid, generate_x25519, write_identity_file
from sync.client import Device, uuid7
from sync.errors import CairnCryptoError
from sync.sealed import seal_batch, verify_batch_signature

PROJECT = "AZ-DASHALTI"
POINT = {"lat": 40.1, "lon": 46.9, "h_acc_m": 2.0}
GRAVE = {
    "site_code": "DSH-01",
    "grave_no": 1,
    "legal_authority_ref": "Court order 17/2026",
    "grave_type": "mass",
    "deposition": "primary",
    "datum_point": POINT,
    "grave_outline": [
        {"lat": 40.1, "lon": 46.9},
        {"lat": 40.1, "lon": 46.901},
        {"lat": 40.101, "lon": 46.901},
        {"lat": 40.1, "lon": 46.9},
    ],
    "status": "excavating",
}
BODY = {
    "body_no": "DSH-01-G1-B017",
    "location": {"lat": 40.1002, "lon": 46.9004, "h_acc_m": 0.8, "x": 1.2, "y": 3.4, "z": -1.1},
}
TOOLS = shutil.which("age") and shutil.which("minisign") and shutil.which("sha256sum")
needs_tools = pytest.mark.skipif(not TOOLS, reason="needs Debian's age, minisign and sha256sum")


@pytest.fixture
def project(make_device: Callable[[str], Device]) -> dict[str, str]:
    """Two devices: a grave with a conflict on `status`, a body with inventory items."""
    a, b = make_device("team-a"), make_device("team-b")
    grave = a.new("site_grave", GRAVE)
    body = a.new("human_remains", BODY)
    item = a.add_item(body, "inventory", {"element": "femur", "side": "L", "code": 2})
    a.push()
    b.pull()
    a.edit(grave, {"status": "closed"})
    b.edit(grave, {"status": "backfilled"})
    a.push()
    b.push()
    return {"grave": grave, "body": body, "item": item}


def _export(data: DataDir, tmp_path: Path, *, pq: bool = False) -> tuple[Path, Path]:
    identity = generate_hybrid() if pq else generate_x25519()
    key = tmp_path / "key.txt"
    write_identity_file(key, identity)
    out = tmp_path / "archive.age"
    source = ExportSource(data.store, data.keys, data.forms, data.path)
    export_to_file(source, PROJECT, [str(identity.recipient())], out, actor="admin:test")
    return out, key


def _open_with_age(archive: Path, key: Path, into: Path) -> Path:
    into.mkdir()
    with subprocess.Popen(
        ["age", "-d", "-i", str(key), str(archive)], stdout=subprocess.PIPE
    ) as age:
        subprocess.run(["tar", "-x", "-C", str(into)], stdin=age.stdout, check=True)
    assert age.returncode == 0
    (top,) = into.iterdir()
    return top


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True)


@needs_tools
def test_age_tar_minisign_and_sha256sum_alone_open_and_check_the_archive(
    data: DataDir, project: dict[str, str], tmp_path: Path
) -> None:
    archive, key = _export(data, tmp_path)
    top = _open_with_age(archive, key, tmp_path / "x")
    signed = _run(["minisign", "-V", "-p", "cairn.pub", "-m", "manifest.json"], top)
    assert signed.returncode == 0, signed.stderr
    assert f"project={PROJECT}" in signed.stdout
    sums = _run(["sha256sum", "-c", "SHA256SUMS"], top)
    assert sums.returncode == 0, sums.stdout
    manifest = json.loads((top / "manifest.json").read_text())
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {str(p.relative_to(top)) for p in top.rglob("*") if p.is_file()}
    assert on_disk - listed == {"manifest.json", "manifest.json.minisig", "SHA256SUMS"}
    records = [json.loads(line) for line in (top / "records.jsonl").read_text().splitlines()]
    grave = next(r for r in records if r["id"] == project["grave"])
    assert grave["values"]["site_code"] == "DSH-01"
    assert sorted(v["value"] for v in grave["fields"]["status"]["live"]) == ["backfilled", "closed"]


@needs_tools
@pytest.mark.parametrize("where", [0.02, 0.5, -1])
def test_a_flipped_byte_anywhere_in_the_archive_makes_age_refuse_it(
    data: DataDir, project: dict[str, str], tmp_path: Path, where: float
) -> None:
    archive, key = _export(data, tmp_path)
    blob = bytearray(archive.read_bytes())
    at = len(blob) - 1 if where == -1 else int(len(blob) * where)
    blob[at] ^= 0x01
    archive.write_bytes(bytes(blob))
    result = subprocess.run(["age", "-d", "-i", str(key), str(archive)], capture_output=True)
    assert result.returncode != 0


@needs_tools
def test_a_flipped_byte_in_an_extracted_file_makes_sha256sum_fail(
    data: DataDir, project: dict[str, str], tmp_path: Path
) -> None:
    archive, key = _export(data, tmp_path)
    top = _open_with_age(archive, key, tmp_path / "x")
    target = top / "records.jsonl"
    blob = bytearray(target.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    target.write_bytes(bytes(blob))
    sums = _run(["sha256sum", "-c", "SHA256SUMS"], top)
    assert sums.returncode != 0
    assert "records.jsonl: FAILED" in sums.stdout
    manifest = top / "manifest.json"
    manifest.write_text(manifest.read_text().replace(PROJECT, "XX-OTHER"))
    assert _run(["minisign", "-V", "-p", "cairn.pub", "-m", "manifest.json"], top).returncode != 0


@needs_tools
def test_archive_holds_csv_geojson_conflicts_history_and_checkable_batches(
    data: DataDir, project: dict[str, str], tmp_path: Path
) -> None:
    archive, key = _export(data, tmp_path)
    top = _open_with_age(archive, key, tmp_path / "x")
    with (top / "csv/human_remains.inventory.csv").open(newline="") as f:
        (item,) = list(csv.DictReader(f))
    assert (item["record_id"], item["item_id"]) == (project["body"], project["item"])
    assert (item["element"], item["side"], item["code"]) == ("femur", "L", "2")
    with (top / "csv/site_grave.csv").open(newline="") as f:
        (grave,) = list(csv.DictReader(f))
    assert grave["conflicts"] == "status" and grave["datum_point.lon"] == "46.9"
    features = json.loads((top / "records.geojson").read_text())["features"]
    kinds = {(f["properties"]["field"], f["geometry"]["type"]) for f in features}
    assert kinds == {("datum_point", "Point"), ("grave_outline", "Polygon"), ("location", "Point")}
    point = next(f for f in features if f["properties"]["field"] == "location")
    assert point["geometry"]["coordinates"] == [46.9004, 40.1002]  # longitude first
    assert point["properties"]["accuracy_m"] == 0.8
    conflicts = [json.loads(x) for x in (top / "conflicts.jsonl").read_text().splitlines()]
    assert [(c["record_id"], c["conflict"]["path"]) for c in conflicts] == [
        (project["grave"], "status")
    ]
    ops = (top / "ops.jsonl").read_text().splitlines()
    assert len(ops) == 5
    devices = {d["device_id"]: d for d in json.loads((top / "devices.json").read_text())}

    signed = sorted((top / "batches").glob("*.signed"))
    assert len(signed) == 3 and len(list((top / "batches").glob("*.sealed"))) == 3
    for blob in signed:
        raw = blob.read_bytes()
        ok = [d for d in devices.values() if _verifies(raw, base64.b64decode(d["signing_public"]))]
        assert len(ok) == 1
    assert sorted(p.name for p in (top / "forms").iterdir()) == [
        "human_remains@1.json",
        "site_grave@1.json",
    ]


def _verifies(signed: bytes, public: bytes) -> bool:
    try:
        verify_batch_signature(signed, public)
    except CairnCryptoError:
        return False
    return True


def test_export_is_audited_with_the_hash_of_the_manifest_it_signed(
    data: DataDir, project: dict[str, str], tmp_path: Path
) -> None:
    chain = project_chain(PROJECT)
    before = audit_log.head(data.store.reader(), chain)[0]
    identity = generate_x25519()
    source = ExportSource(data.store, data.keys, data.forms, data.path)
    manifest, _ = export_to_file(
        source, PROJECT, [str(identity.recipient())], tmp_path / "a.age", actor="admin:test"
    )
    entries = list(audit_log.entries(data.store.reader(), chain, after=before))
    assert [(e.kind, e.actor, e.subject) for e in entries] == [("export", "admin:test", PROJECT)]
    assert manifest.audit.last == before  # the snapshot predates its own audit entry
    assert len(entries[0].data["manifest_sha256"]) == 64


@pytest.mark.parametrize(
    ("recipients", "code"),
    [
        ([], "no_recipients"),
        (["age1notakey"], "bad_recipient"),
        (
            [str(generate_x25519().recipient()), str(generate_hybrid().recipient())],
            "mixed_recipients",
        ),
    ],
)
def test_unusable_recipients_are_refused_before_any_work(
    data: DataDir, tmp_path: Path, recipients: list[str], code: str
) -> None:
    source = ExportSource(data.store, data.keys, data.forms, data.path)
    before = audit_log.head(data.store.reader(), project_chain(PROJECT))
    with pytest.raises(BadRequest) as caught:
        export_to_file(source, PROJECT, recipients, tmp_path / "a.age", actor="admin:test")
    assert caught.value.code.startswith(code)
    assert not (tmp_path / "a.age").exists()
    assert audit_log.head(data.store.reader(), project_chain(PROJECT)) == before
    assert not list(data.path.glob(".export-*"))


def test_hashes_in_the_manifest_are_the_sha256_of_each_file(
    data: DataDir, project: dict[str, str], tmp_path: Path
) -> None:
    identity = generate_x25519()
    source = ExportSource(data.store, data.keys, data.forms, data.path)
    manifest, _ = export_to_file(
        source, PROJECT, [str(identity.recipient())], tmp_path / "a.age", actor="admin:test"
    )
    assert manifest.counts["records"] == 2 and manifest.counts["ops"] == 5
    assert manifest.op_cursor.first == 1 and manifest.op_cursor.last == 5
    assert all(len(f.sha256) == 64 for f in manifest.files)
    empty = {f.path for f in manifest.files if f.sha256 == hashlib.sha256(b"").hexdigest()}
    # Present and empty: nothing was refused, no record references a file.
    assert empty == {"quarantine.jsonl", "attachments.jsonl"}
    assert manifest.counts["quarantined"] == 0


def test_the_spooled_plaintext_is_removed_even_if_the_archive_is_never_streamed(
    data: DataDir, project: dict[str, str]
) -> None:
    source = ExportSource(data.store, data.keys, data.forms, data.path)
    archive = prepare_archive(source, PROJECT, [str(generate_x25519().recipient())], actor="t")
    assert len(list(data.path.glob(".export-*"))) == 1
    del archive
    gc.collect()
    assert not list(data.path.glob(".export-*"))


def test_archive_keeps_every_refused_batch_and_op_with_the_reason(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: Callable[[str], Device],
    tmp_path: Path,
) -> None:
    dev = make_device("team-c")
    # An op local validation would refuse (latitude out of range), forged past it.
    base = dev._base("018f0000-0000-7000-8000-000000000001", "site_grave@1", None)
    dev._commit(ops.Create(fields={"datum_point": {"lat": 123.0, "lon": 1.0}}, **base))
    dev.push()
    # A batch the device signed whose body is not a list of ops: refused, and its own.
    unreadable = seal_batch(
        b"\xc1",
        device_id=dev.device_id,
        batch_id=uuid7(),
        seq=2,
        device_signing_key=dev.keys().signing_key,
        server_recipient=dev.store.get_str("batch_recipient") or "",
        server_key_id=dev.store.get_str("batch_key_id") or "",
    )
    assert client.post("/v1/device/batches", content=unreadable).status_code == 422
    # A batch that does not open (tampered) is no device's: it stays out of the archive.
    dev.new("site_grave", GRAVE)
    dev.seal_pending()
    tampered = bytearray(dev.store.pending_batches()[0].sealed)
    tampered[-40] ^= 0x01
    assert client.post("/v1/device/batches", content=bytes(tampered)).status_code == 422

    archive, key = _export(data, tmp_path)
    top = _open_with_age(archive, key, tmp_path / "x")
    entries = [json.loads(x) for x in (top / "quarantine.jsonl").read_text().splitlines()]
    assert (entries[0]["kind"], entries[0]["code"]) == ("op", "invalid_values")
    assert "datum_point" in entries[0]["reason"]
    assert entries[1]["kind"] == "batch" and entries[1]["device_id"] == dev.device_id
    assert (entries[1]["id"], entries[1]["code"]) == (2, "malformed_body")
    assert (top / entries[1]["file"]).read_bytes() == unreadable
    for entry in entries:
        kept = (top / entry["file"]).read_bytes()
        assert (len(kept), hashlib.sha256(kept).hexdigest()) == (entry["size"], entry["sha256"])
    manifest = json.loads((top / "manifest.json").read_text())
    assert manifest["counts"]["quarantined"] == 2
    assert {e["file"] for e in entries} <= {f["path"] for f in manifest["files"]}
