"""The Harris matrix check: relationships merged as a set, then checked for cycles."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sync.merge import materialize
from sync.ops import Create, Dot, ItemAdd, ItemRemove, Op, Retract
from sync.stratigraphy import EARLIER, LATER, Relationship, check_site, relationships

T0 = 1_750_000_000_000
# Each relation written from the later context's side, and its mirror from the earlier's.
FORWARD = sorted(LATER)
BACKWARD = sorted(EARLIER)


def rel(context: int, relation: str, other: int, record: str = "r") -> Relationship:
    return Relationship(
        context_no=context,
        relation=relation,
        other_context_no=other,
        record_id=f"{record}{context}",
        item_id=f"{relation}-{other}",
    )


def later_than(later: int, earlier: int, how: int) -> Relationship:
    """`later` is later than `earlier`, said in one of six ways (`how` picks the way)."""
    if how % 2 == 0:
        return rel(later, FORWARD[how // 2 % 3], earlier)
    return rel(earlier, BACKWARD[how // 2 % 3], later)


def test_two_teams_record_opposite_orders_and_the_union_is_a_cycle() -> None:
    team_a = rel(3, "above", 5)
    team_b = rel(5, "above", 3)
    assert check_site([team_a]) == []
    (problem,) = check_site([team_a, team_b])
    assert problem.kind == "cycle" and problem.contexts == [3, 5]
    assert problem.relationships == sorted([team_a, team_b])


def test_below_is_the_mirror_of_above_so_saying_both_is_consistent() -> None:
    assert check_site([rel(3, "above", 5), rel(5, "below", 3), rel(7, "fills", 5)]) == []
    (problem,) = check_site([rel(3, "above", 5), rel(3, "below", 5)])
    assert problem.contexts == [3, 5]


def test_a_cycle_through_same_as_is_found() -> None:
    # 2 cuts 4, 4 is the same deposit as 6, and 6 is recorded above 2: impossible.
    rows = [rel(2, "cuts", 4), rel(4, "same_as", 6), rel(6, "above", 2), rel(9, "above", 2)]
    (problem,) = check_site(rows)
    assert problem.kind == "cycle" and problem.contexts == [2, 4, 6]
    assert rel(9, "above", 2) not in problem.relationships


def test_same_as_and_an_order_between_the_same_two_contexts_contradict() -> None:
    (problem,) = check_site([rel(4, "same_as", 6), rel(4, "fills", 6)])
    assert problem.kind == "cycle" and problem.contexts == [4, 6]


def test_a_context_related_to_itself_is_a_self_reference() -> None:
    (problem,) = check_site([rel(8, "cut_by", 8), rel(8, "above", 1)])
    assert problem.kind == "self_reference" and problem.contexts == [8]


@st.composite
def dag(draw: Any) -> tuple[list[int], list[Relationship]]:
    """A consistent matrix: contexts in a hidden deposition order, relations only forward."""
    order = draw(st.permutations(list(range(1, draw(st.integers(2, 12)) + 1))))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, len(order) - 1), st.integers(0, len(order) - 1)),
            max_size=40,
        )
    )
    rows = [
        later_than(order[max(i, j)], order[min(i, j)], draw(st.integers(0, 5)))
        for i, j in pairs
        if i != j
    ]
    return order, rows


@given(dag())
def test_a_matrix_with_a_deposition_order_never_reports_a_cycle(
    built: tuple[list[int], list[Relationship]],
) -> None:
    _, rows = built
    assert check_site(rows) == []


@given(dag(), st.data())
def test_contradicting_any_chain_reports_a_cycle_holding_both_ends(
    built: tuple[list[int], list[Relationship]], data: st.DataObject
) -> None:
    order, rows = built
    # Chain the order explicitly, then say the first is later than the last.
    chain = [later_than(order[i + 1], order[i], i) for i in range(len(order) - 1)]
    i = data.draw(st.integers(0, len(order) - 2))
    j = data.draw(st.integers(i + 1, len(order) - 1))
    back = later_than(order[i], order[j], data.draw(st.integers(0, 5)))
    problems = check_site(rows + chain + [back])
    cycles = [p for p in problems if p.kind == "cycle"]
    assert len(cycles) == 1
    assert {order[k] for k in range(i, j + 1)} <= set(cycles[0].contexts)
    assert back in cycles[0].relationships


@given(dag(), st.randoms(use_true_random=False))
def test_the_answer_does_not_depend_on_the_order_rows_arrive_in(
    built: tuple[list[int], list[Relationship]], rnd: Any
) -> None:
    _, rows = built
    rows = [*rows, rows[0]] if rows else rows
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert check_site(shuffled) == check_site(rows)


def _op(kind: type[Any], actor: str, counter: int, record: str, **kw: Any) -> Op:
    """An op on an excavation context by one tablet, after its own earlier ops."""
    return kind(  # type: ignore[no-any-return]
        dot=Dot(actor=actor, counter=counter),
        record_id=record,
        form="excavation_context@1",
        hlc=(T0 + counter) << 16,
        context={actor: counter - 1} if counter > 1 else {},
        wall_time=T0 + counter,
        **kw,
    )


def _context(actor: str, record: str, context_no: int) -> Op:
    return _op(Create, actor, 1, record, fields={"context_no": context_no, "site_code": "DSH-01"})


def _relate(actor: str, counter: int, record: str, item: str, relation: str, other: int) -> Op:
    fields = {"relation": relation, "other_context_no": other}
    return _op(ItemAdd, actor, counter, record, group="relationships", item_id=item, fields=fields)


def test_relationships_come_from_merged_records_and_skip_removed_items_and_retractions() -> None:
    three = materialize(
        [
            _context("tab-a", "c3", 3),
            _relate("tab-a", 2, "c3", "i1", "above", 5),
            _relate("tab-a", 3, "c3", "i2", "cuts", 7),
            _op(ItemRemove, "tab-a", 4, "c3", group="relationships", item_id="i2"),
        ]
    )
    five = materialize([_context("tab-b", "c5", 5), _relate("tab-b", 2, "c5", "i9", "above", 3)])
    rows = [*relationships(three), *relationships(five)]
    assert [(r.context_no, r.relation, r.other_context_no) for r in rows] == [
        (3, "above", 5),
        (5, "above", 3),
    ]
    assert check_site(rows)[0].contexts == [3, 5]
    retracted = materialize(
        [
            _context("tab-b", "c5", 5),
            _relate("tab-b", 2, "c5", "i9", "above", 3),
            _op(Retract, "tab-b", 3, "c5", reason="context number voided"),
        ]
    )
    assert list(relationships(retracted)) == []
