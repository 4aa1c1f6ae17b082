"""`cairn forms list|show|check`: what an administrator sees and the exit statuses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from server.cli import main

ROOT = Path(__file__).resolve().parents[2]
BROKEN = """\
id = "well_survey"
version = 1
title = "Well survey"

[[fields]]
name = "depth_m"
type = "decimal"
min = 30
max = 2

[[fields]]
name = "kind"
type = "select_one"
choices = ["dug", "dug"]

[[fields]]
name = "photo"
type = "atachment"

[[identifiers]]
name = "well_no"
fields = ["well_code"]
"""
GOOD = """\
id = "well_survey"
version = 1
title = "Well survey"
notes = "Our own form."

[[identifiers]]
name = "well_no"
fields = ["well_no"]

[[fields]]
name = "well_no"
type = "text"
required = true

[[fields]]
name = "site_code"
type = "reference"
ref_form = "site_grave"
ref_field = "site_code"
"""


def test_list_shows_the_seven_forms_with_versions_and_titles(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["forms", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["form", "versions", "title"]
    rows = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert rows == {
        "daily_log": "1",
        "dna_sample": "1",
        "excavation_context": "1",
        "human_remains": "1",
        "personal_effect": "1",
        "photo_log": "1",
        "site_grave": "1",
    }
    assert any("Human remains" in line for line in lines)


def test_show_human_remains_lists_the_inventory_group_indented(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["forms", "show", "human_remains"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("human_remains@1")
    inventory = next(i for i, line in enumerate(lines) if line.startswith("inventory "))
    assert "key element+side" in lines[inventory]
    assert lines[inventory + 1].startswith("  element ")
    assert any(line.startswith("  side ") and "L, R, midline, unsided" in line for line in lines)
    assert any(line.startswith("  code ") and "1 to 3" in line for line in lines)
    seal = next(line for line in lines if line.startswith("seal_no "))
    assert "identifier" in seal and "immutable" in seal
    assert "Identifiers (must be unique):" in out


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        ("site_grave@1", ["grave_id: {site_code}-G{grave_no}, unique per site (site_code)",
                          "0 to 20 m", "h_acc ≤ 10 m; warn above 5 m", "closed, ≥ 4 points"]),
        ("dna_sample", ["append-only", "items ≥ 1; key seq; ordered by seq", "sha256; image/"]),
        ("personal_effect", ["default true", "→ human_remains.body_no"]),
        ("excavation_context", ["-20 to 5 m"]),
    ],
)  # fmt: skip
def test_show_describes_constraints(
    ref: str, words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forms", "show", ref]) == 0
    out = capsys.readouterr().out
    for w in words:
        assert w in out


@pytest.mark.parametrize("ref", ["graves", "site_grave@9", "site grave"])
def test_show_of_an_unknown_form_is_a_clear_error(
    ref: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["forms", "show", ref]) == 2
    assert "cairn forms list" in capsys.readouterr().err


def test_check_names_each_problem_of_a_broken_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "well.toml"
    path.write_text(BROKEN, encoding="utf-8")
    assert main(["forms", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}: 4 problems" in out
    for location in (
        "fields.depth_m.min:",
        "fields.kind.choices[1]:",
        "fields.photo.type: unknown field type 'atachment'",
        "identifiers.well_no.fields[0]: 'well_code'",
    ):
        assert location in out


def test_check_accepts_a_good_file_with_one_ok_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "well.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["forms", "check", str(path)]) == 0
    assert capsys.readouterr().out == "ok: well_survey@1 (2 fields) is a valid form definition\n"


def test_check_finds_references_the_library_does_not_know(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "well.toml"
    path.write_text(GOOD.replace('ref_form = "site_grave"', 'ref_form = "sites"'), "utf-8")
    assert main(["forms", "check", str(path)]) == 1
    assert "fields.site_code.ref_form" in capsys.readouterr().out


def test_check_of_a_new_built_in_version_shows_evolution_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "forms/definitions/site_grave.toml").read_text("utf-8")
    v2 = tmp_path / "site_grave_v2.toml"
    v2.write_text(
        text.replace("version = 1", "version = 2").replace("max = 20", "max = 15"), "utf-8"
    )
    assert main(["forms", "check", str(v2)]) == 0
    out = capsys.readouterr().out
    assert "warning: max_depth_m: max lowered to 15" in out
    assert "ok: site_grave@2" in out
    broken = tmp_path / "site_grave_v3.toml"
    broken.write_text(
        text.replace("version = 1", "version = 3").replace('unit = "m"', 'unit = "ft"'), "utf-8"
    )
    assert main(["forms", "check", str(broken)]) == 1
    assert "unit changed" in capsys.readouterr().out


def test_check_refuses_a_changed_copy_of_a_published_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "forms/definitions/photo_log.toml").read_text("utf-8")
    path = tmp_path / "photo_log.toml"
    path.write_text(text.replace('title = "Photo log"', 'title = "Photos"'), "utf-8")
    assert main(["forms", "check", str(path)]) == 1
    assert "publish changes as a new version" in capsys.readouterr().out


def test_check_of_a_missing_file_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forms", "check", "/nonexistent/forms.toml"]) == 2
    assert "cannot read /nonexistent/forms.toml" in capsys.readouterr().err


def test_check_through_the_console_script(tmp_path: Path) -> None:
    path = tmp_path / "well.toml"
    path.write_text(BROKEN, encoding="utf-8")
    done = subprocess.run(
        ["uv", "run", "--offline", "cairn", "forms", "check", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "fields.photo.type: unknown field type 'atachment'" in done.stdout
