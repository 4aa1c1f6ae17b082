"""Make datadir.tar.gz: a data directory written by the release before per-project audit
chains (schema 3, one server-wide format-1 audit log), with two projects on one server.

It must run against THAT release's code, not this one's (it was run with commit ef6f994,
the last before schema 4; ones made by a534a23, 5eee985 and fb0263c, at schema 2, passed
the same tests):

    git archive ef6f994 | tar -x -C /tmp/old
    cd /path/to/cairn && PYTHONPATH=/tmp/old uv run python \\
        tests/testdata/before_chains/make_datadir.py tests/testdata/before_chains/datadir.tar.gz

old-dsh.age (with its identity old-dsh.key) is an archive of AZ-DASHALTI that release
exported: it must keep verifying. cairn-data/markers.json lists every string of project
AZ-EDILLI (record, device, batch and token ids, the review comment, the resolution's
value and reason) that an export of AZ-DASHALTI must never contain.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from server import admin
from server.app import create_app
from server.config import load_config
from server.datadir import open_data_dir
from server.export.archive import ExportSource, export_to_file
from sync.age import generate_x25519, write_identity_file
from sync.client import Device
from tests.examples import GRAVE
from tests.server.conftest import BASE, AppTransport

DSH, EDL = "AZ-DASHALTI", "AZ-EDILLI"
COMMENT = "witness name Aysel Quliyeva saw the trucks at night"
VALUE = "Sealed order EDL-4411-RESOLVED"
REASON = "prosecutor's copy of the EDL order checked"


def _rotate(store: Any, keys_dir: Path, actor: str) -> None:
    """Rotate the batch key where this release keeps that action."""
    try:
        from server.key_changes import rotate_batch_key
    except ImportError:  # releases before server.key_changes
        rotate_batch_key = admin.rotate_batch_key  # type: ignore[attr-defined]
    rotate_batch_key(store, keys_dir, actor)


def build(home: Path) -> Path:
    """Two projects on one server, both busy; return the data directory (closed)."""
    data = open_data_dir(home / "cairn-data", create=True)
    admin.create_project(data.store, DSH, "Dashalti", "cli:admin")
    admin.create_project(data.store, EDL, "Edilli", "cli:admin")
    edl_token = admin.issue_token(data.store, "supervisor", EDL, "cli:admin", "EDL lead")
    admin.issue_token(data.store, "supervisor", DSH, "cli:admin", "DSH lead")
    app = create_app(load_config(data.path), data)
    with TestClient(app, base_url=BASE) as client:
        transport = AppTransport(client)

        def device(project: str, name: str) -> Device:
            code = admin.issue_enroll_code(data.store, project, 3600, "cli:admin").code
            made = Device(home / name, transport=transport, sleep=lambda _s: None)
            made.enroll(BASE, code, label=name)
            return made

        dsh = device(DSH, "dsh-team")
        dsh.new("site_grave", GRAVE)
        dsh.push()
        edl_a, edl_b = device(EDL, "edl-team-a"), device(EDL, "edl-team-b")
        grave = edl_a.new(
            "site_grave", {**GRAVE, "site_code": "EDL-07", "legal_authority_ref": "EDL-A"}
        )
        edl_a.push()
        edl_b.pull()
        edl_a.edit(grave, {"legal_authority_ref": "Order EDL-4411-A"})
        edl_b.edit(grave, {"legal_authority_ref": "Order EDL-4411-B"})
        edl_a.push()
        edl_b.push()
        headers = {"Authorization": f"Bearer {edl_token.token}"}
        resolved = client.post(
            f"/v1/records/{grave}/resolutions",
            headers=headers,
            json={
                "conflict": "field",
                "path": "legal_authority_ref",
                "value": VALUE,
                "reason": REASON,
            },
        )
        assert resolved.status_code == 201, resolved.text
        reviewed = client.post(
            f"/v1/records/{grave}/review",
            headers=headers,
            json={"state": "has_issues", "comment": COMMENT},
        )
        assert reviewed.status_code == 201, reviewed.text
        bad = client.post("/v1/device/batches", content=b"CAIRN-SEALED-BATCH/1\n\0\0\0\1x")
        assert bad.status_code >= 400
        _rotate(data.store, data.keys_dir, "cli:admin")
        dsh.pull()
        dsh.new("site_grave", {**GRAVE, "site_code": "DSH-02"})
        dsh.push()  # sealed to the rotated key
        edl_batches = [
            str(r[0])
            for r in data.store.reader().execute(
                "SELECT batch_id FROM batches WHERE project = ?", (EDL,)
            )
        ]
        markers = {
            "comment": COMMENT,
            "value": VALUE,
            "reason": REASON,
            "edl_record": grave,
            "edl_devices": [edl_a.device_id, edl_b.device_id],
            "edl_batches": edl_batches,
            "edl_token": edl_token.token_id,
            "edl_labels": ["EDL lead", "edl-team-a", "edl-team-b"],
            "edl_project": EDL,
        }
        for made in (dsh, edl_a, edl_b):
            made.close()
        source = ExportSource(data.store, data.keys, data.forms, data.path)
        identity = generate_x25519()
        write_identity_file(home / "old-dsh.key", identity)
        recipient = str(identity.recipient())
        export_to_file(source, DSH, [recipient], home / "old-dsh.age", actor="cli:admin")
    data.store.close()  # checkpoints the WAL: cairn.db alone holds everything
    (data.path / "markers.json").write_text(json.dumps(markers, indent=2) + "\n")
    return data.path


def main(out: Path) -> None:
    """Build with the old release and pack the directory as `out`."""
    with tempfile.TemporaryDirectory() as tmp:
        path = build(Path(tmp))
        conn = sqlite3.connect(path / "cairn.db")
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        conn.close()
        assert version in (2, 3), f"run this with a release before schema 4, not {version}"
        with tarfile.open(out, "w:gz") as tar:
            tar.add(path, arcname="cairn-data")
            for name in ("old-dsh.age", "old-dsh.key"):  # an archive that release made
                tar.add(path.parent / name, arcname=name)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
