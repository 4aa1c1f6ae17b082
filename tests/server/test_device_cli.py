"""`cairn device …` as a field worker uses it: offline recording, clear errors, no loss."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from server.cli import main
from sync.client import Device

MakeDevice = Callable[[str], Device]
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def home(make_device: MakeDevice) -> Path:
    """An enrolled device home whose server (the in-process test app) is unreachable."""
    device = make_device("cli")
    path = device.home
    device.close()
    return path


@pytest.fixture
def run(home: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str) -> tuple[int, str, str]:
        status = main(["device", *args, "--home", str(home)])
        out, err = capsys.readouterr()
        return status, out, err

    return run


NEW_GRAVE = [
    "--set", "site_code=DSH-07",
    "--set", "grave_no=3",
    "--set", "legal_authority_ref=Court order 17/2026",
    "--set", "grave_type=mass",
    "--set", "deposition=primary",
    "--set", "status=reported",
    "--set", "max_depth_m=1.25",
    "--set-json", 'datum_point={"lat": 40.1, "lon": 46.9, "h_acc_m": 2.5}',
    "--gps", "40.1,46.9,3",
]  # fmt: skip


def test_record_edit_and_show_offline(run: Run) -> None:
    status, out, _ = run("new", "site_grave", *NEW_GRAVE)
    assert status == 0
    record_id = out.strip()
    assert run("edit", record_id[:13], "--set", "max_depth_m=1.6")[0] == 0
    status, out, _ = run("show", record_id, "--json")
    view = json.loads(out)
    assert view["values"]["max_depth_m"] == 1.6
    assert view["values"]["datum_point"]["lat"] == 40.1
    status, out, _ = run("list")
    assert record_id in out and "site_grave@1" in out
    status, out, _ = run("status", "--json")
    assert json.loads(out)["ops"]["pending"] == 2


def test_invalid_values_are_refused_naming_the_field_and_nothing_is_stored(run: Run) -> None:
    bad = [*NEW_GRAVE, "--set", "max_depth_m=25"]
    status, _, err = run("new", "site_grave", *bad)
    assert status == 2
    assert "max_depth_m" in err and "nothing stored" in err
    assert json.loads(run("status", "--json")[1])["ops"]["pending"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "no_such_form"], "unknown form"),
        (["new", "site_grave", "--set", "nonsense=1"], "not a field"),
        (["new", "site_grave", "--set", "grave_no=three"], "not a whole number"),
        (["new", "site_grave", "--gps", "91,0,5"], "--gps"),
        (["new", "site_grave", "--set-json", "datum_point={bad"], "not valid JSON"),
        (["edit", "ffffffff", "--set", "status=closed"], "no record"),
        (["retract", "ffffffff", "--reason", " "], "reason"),
    ],
)
def test_user_mistakes_get_one_clear_line(run: Run, args: list[str], message: str) -> None:
    status, _, err = run(*args)
    assert status == 2
    assert message in err and "Traceback" not in err


def test_repeat_items_add_edit_remove(run: Run) -> None:
    status, out, _ = run(
        "new",
        "human_remains",
        "--set", "body_no=DSH-07-G3-B001",
        "--set", "remains_category=articulated_body",
        "--set", "context_no=4",
        "--set-json", 'location={"lat": 40.1, "lon": 46.9, "h_acc_m": 1, "x": 1, "y": 2, "z": -1}',
    )  # fmt: skip
    assert status == 0, out
    body = out.strip()
    status, out, _ = run(
        "item", "add", body, "inventory", "--set", "element=femur", "--set", "side=L",
        "--set", "code=1",
    )  # fmt: skip
    assert status == 0
    item = out.strip()
    assert run("item", "edit", body, "inventory", item[:13], "--set", "code=2")[0] == 0
    view = json.loads(run("show", body, "--json")[1])
    assert [i["fields"]["code"]["value"] for i in view["items"]["inventory"]] == [2]
    assert run("item", "remove", body, "inventory", item)[0] == 0
    view = json.loads(run("show", body, "--json")[1])
    assert view["items"]["inventory"] == []


def test_push_without_a_server_fails_clearly_and_keeps_everything(run: Run) -> None:
    record_id = run("new", "site_grave", *NEW_GRAVE)[1].strip()
    status, _, err = run("push", "--retries", "1")
    assert status == 2
    assert "could not reach the server" in err and "nothing was lost" in err
    status_out = json.loads(run("status", "--json")[1])
    assert status_out["ops"]["pending"] == 1
    assert status_out["batches_awaiting_receipt"] == 1
    assert run("show", record_id)[0] == 0


@pytest.mark.parametrize(
    ("gps", "message"),
    [
        ("200,1,5", "the latitude 200 must be between -90 and 90"),
        ("40,181,5", "the longitude 181 must be between -180 and 180"),
        ("40,46,-1", "the accuracy -1 must be 0 or more"),
        ("40,46", "give LAT,LON,ACC: latitude"),
        (
            "40,east,3",
            "give LAT,LON,ACC: latitude and longitude in degrees, accuracy in metres; "
            "each must be a number",
        ),
    ],
)
def test_gps_mistakes_are_named_in_the_users_words(run: Run, gps: str, message: str) -> None:
    status, _, err = run("new", "site_grave", *NEW_GRAVE[:-2], "--gps", gps)
    assert status == 2
    assert f"--gps {gps!r}: {message}" in err
    assert "Expected" not in err and "$." not in err  # no decoder's words


def test_show_into_a_reader_that_leaves_ends_quietly(run: Run, home: Path) -> None:
    record_id = run("new", "site_grave", *NEW_GRAVE)[1].strip()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "device", "show", record_id, "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head` that has read what it wanted, before we write
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 141
    assert err == ""
