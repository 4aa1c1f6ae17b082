"""The Harris matrix drawing: every context inside the drawing, later above earlier."""

from __future__ import annotations

from server.web.matrix import draw
from sync.stratigraphy import Relationship, check_site


def _rel(a: int, relation: str, b: int) -> Relationship:
    return Relationship(
        context_no=a, relation=relation, other_context_no=b, record_id="r", item_id=f"{a}{b}"
    )


def test_every_node_lies_inside_the_drawing_and_later_contexts_are_higher() -> None:
    rels = [_rel(1, "above", 2), _rel(2, "above", 3), _rel(4, "below", 3)]
    drawing = draw(rels, check_site(rels))
    at = {n.context_no: n for n in drawing.nodes}
    assert at[1].y < at[2].y < at[3].y < at[4].y
    assert all(0 < n.x < drawing.width + 1 and 0 < n.y < drawing.height for n in drawing.nodes)
    assert not any(e.in_problem for e in drawing.edges)


def test_a_cycle_is_drawn_inside_the_drawing_and_marked() -> None:
    rels = [_rel(3, "above", 5), _rel(5, "above", 3), _rel(5, "above", 7)]
    problems = check_site(rels)
    drawing = draw(rels, problems)
    assert all(0 < n.y < drawing.height and 0 < n.x <= drawing.width for n in drawing.nodes)
    assert {(e.later, e.earlier) for e in drawing.edges if e.in_problem} == {(3, 5), (5, 3)}
    assert {n.context_no for n in drawing.nodes if n.in_problem} == {3, 5}


def test_what_lies_below_a_cycle_is_drawn_below_it() -> None:
    rels = [_rel(3, "above", 5), _rel(5, "above", 3), _rel(5, "above", 7)]
    at = {n.context_no: n for n in draw(rels, check_site(rels)).nodes}
    assert at[3].y == at[5].y < at[7].y
