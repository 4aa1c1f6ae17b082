"""`cairn device list/show/edit/status` name records as people do and read as text."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from litestar.testing import TestClient

from server.cli import main
from server.datadir import DataDir
from sync.client import Device
from tests.examples import GRAVE
from tests.server.review_fixtures import supervisor

MakeDevice = Callable[[str], Device]


def _run(device: Device, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["device", *args, "--home", str(device.home)])
    out, err = capsys.readouterr()
    return status, out, err


def test_list_shows_identifier_and_review_state_and_an_identifier_names_a_record(
    make_device: MakeDevice, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = make_device("team-a")
    graves = [dev.new("site_grave", {**GRAVE, "grave_no": n}) for n in (1, 2, 3)]
    dev.close()
    status, out, _ = _run(dev, capsys, "list")
    assert status == 0
    for n, record_id in enumerate(graves, start=1):
        line = next(line for line in out.splitlines() if line.startswith(record_id))
        assert line.split()[:4] == [record_id, f"DSH-01-G{n}", "site_grave@1", "received"]
    # UUIDv7s made in one second share their first characters; the identifier does not.
    status, _, err = _run(dev, capsys, "show", graves[0][:8])
    assert status == 2 and f"'{graves[0][:8]}' starts the id of 3 records" in err
    assert "DSH-01-G2" in err  # each candidate is listed with its identifier
    assert _run(dev, capsys, "edit", "dsh-01-g2", "--set", "max_depth_m=2.5")[0] == 0
    status, out, _ = _run(dev, capsys, "show", "DSH-01-G2", "--json")
    assert json.loads(out)["id"] == graves[1] and json.loads(out)["values"]["max_depth_m"] == 2.5
    status, out, _ = _run(dev, capsys, "show", "DSH-01-G2")
    assert out.startswith(f"record DSH-01-G2  {graves[1]}  (site_grave@1)  review: received")
    assert _run(dev, capsys, "retract", "DSH-01-G3", "--reason", "test entry")[0] == 0
    assert "RETRACTED" in _run(dev, capsys, "show", graves[2])[1]


def test_two_records_with_one_identifier_are_named_by_id(
    make_device: MakeDevice, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = make_device("team-a")
    first, second = dev.new("site_grave", GRAVE), dev.new("site_grave", GRAVE)
    dev.close()
    status, _, err = _run(dev, capsys, "show", "DSH-01-G1")
    assert status == 2
    assert "'DSH-01-G1' is the identifier of 2 records" in err
    assert first in err and second in err


def test_a_supervisors_review_comment_reaches_the_device_and_shows_on_the_record(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dev = make_device("team-a")
    record_id = dev.new("site_grave", GRAVE)
    dev.push()
    answer = client.post(
        f"/v1/records/{record_id}/review",
        headers=supervisor(data),
        json={"state": "has_issues", "comment": "depth photo missing: retake with a scale"},
    )
    assert answer.status_code == 201, answer.text
    dev.pull()
    dev.close()
    out = _run(dev, capsys, "show", "DSH-01-G1")[1]
    assert "review: has_issues" in out.splitlines()[0]
    assert "review comment: depth photo missing: retake with a scale" in out.splitlines()
    assert "has_issues" in _run(dev, capsys, "list")[1]


def test_status_reads_as_text_and_as_json_with_json(
    make_device: MakeDevice, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = make_device("team-a")
    dev.new("site_grave", GRAVE)
    dev.push()
    dev.new("site_grave", {**GRAVE, "grave_no": 2})
    device_id = dev.device_id
    dev.close()
    status, out, _ = _run(dev, capsys, "status")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"device {device_id} in project AZ-DASHALTI, server http")
    assert "ops: 1 pending, 1 delivered, 0 refused, 0 pulled" in lines
    assert "refused by the server: 0 op(s)" in lines
    assert "{" not in out
    facts = json.loads(_run(dev, capsys, "status", "--json")[1])
    assert facts["ops"] == {"pending": 1, "delivered": 1, "refused": 0, "pulled": 0}
