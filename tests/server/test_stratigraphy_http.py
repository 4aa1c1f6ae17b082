"""Two teams offline record opposite orders for two contexts: the server shows the cycle."""

from __future__ import annotations

import msgspec
from litestar.testing import TestClient

from server.controllers.review_models import StratigraphyProblemResponse
from server.datadir import DataDir
from tests.server.conftest import PROJECT
from tests.server.review_fixtures import MakeDevice, grave, supervisor

URL = f"/v1/projects/{PROJECT}/stratigraphy"


def _context(number: int, site: str = "DSH-01") -> dict[str, object]:
    return {
        "context_no": number,
        "site_code": site,
        "context_type": "fill",
        "opened_by": "A. Aliyev",
        "opened_on": "2026-05-01",
    }


def test_opposite_orders_from_two_teams_show_as_one_cycle_per_site(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    a, b = make_device("team-a"), make_device("team-b")
    a.new("site_grave", grave())
    three = a.new("excavation_context", _context(3))
    five = a.new("excavation_context", _context(5))
    elsewhere = a.new("excavation_context", _context(3, site="DSH-02"))
    a.push()
    b.pull()
    # Offline, each team records a plausible relationship; their union is impossible.
    a.add_item(three, "relationships", {"relation": "above", "other_context_no": 5})
    b.add_item(five, "relationships", {"relation": "above", "other_context_no": 3})
    # At the other site, 3 above 5 alone is fine.
    b.add_item(elsewhere, "relationships", {"relation": "above", "other_context_no": 5})
    headers = supervisor(data)
    a.push()
    assert client.get(URL, headers=headers).json() == []
    b.push()

    answer = client.get(URL, headers=headers)
    assert answer.status_code == 200
    (problem,) = msgspec.json.decode(answer.content, type=list[StratigraphyProblemResponse])
    assert (problem.site_code, problem.kind, problem.contexts) == ("DSH-01", "cycle", [3, 5])
    assert {(r.record_id, r.relation, r.other_context_no) for r in problem.relationships} == {
        (three, "above", 5),
        (five, "above", 3),
    }

    # A team removes its wrong relationship: the matrix is consistent again.
    (wrong,) = [r for r in problem.relationships if r.record_id == five]
    b.pull()
    b.remove_item(five, "relationships", wrong.item_id)
    b.push()
    assert client.get(URL, headers=headers).json() == []
