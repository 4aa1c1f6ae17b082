"""The identifier oracle catches what `cairn verify` cannot: a mistake made both times."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from server import materialize
from server.datadir import DataDir
from server.verify import verify
from sync.client import Device
from tests.examples import GRAVE
from tests.identifier_oracle import assert_identifier_rows_obey_the_law, law_duplicates
from tests.server.conftest import PROJECT

MakeDevice = Callable[[str], Device]


def _two_teams_one_log(make_device: MakeDevice) -> tuple[str, str]:
    a, b = make_device("team-a"), make_device("team-b")
    log = {"site_code": "DSH-01", "log_date": "2026-05-01", "author": "A. Aliyev"}
    first = a.new("daily_log", log)
    second = b.new("daily_log", {**log, "author": " a. aliyev"})  # one person, typed twice
    a.new("site_grave", GRAVE)
    a.push()
    b.push()
    return first, second


def test_the_stored_rows_find_the_duplicate_the_law_finds(
    data: DataDir, make_device: MakeDevice
) -> None:
    first, second = _two_teams_one_log(make_device)
    assert frozenset({first, second}) in assert_identifier_rows_obey_the_law(data, PROJECT)


def test_a_folding_mistake_passes_verify_but_not_the_oracle(
    data: DataDir, make_device: MakeDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Identifiers compared case- and space-sensitively, in ingest and in verify's rebuild.
    monkeypatch.setattr(materialize, "_fold", lambda text: text)
    first, second = _two_teams_one_log(make_device)
    assert verify(data.store, data.keys, data.forms).problems == []  # blind to it
    assert frozenset({first, second}) in law_duplicates(data, PROJECT)
    with pytest.raises(AssertionError):
        assert_identifier_rows_obey_the_law(data, PROJECT)
