"""The Harris matrix of a site: stratigraphic relationships checked for cycles.

docs/forms.md F2: concurrent edits of a context's ``relationships`` merge as a set union (the
repeat group is an add-wins set), "then check the Harris matrix for cycles". Two teams
can each record a plausible relationship offline whose union is impossible (context 3
above 5, and 5 above 3); nothing is merged away, and this module finds the contradiction
so a supervisor can decide.

Every relationship is read as "X is later than Y" (deposited or cut after it):

    X above Y, X cuts Y, X fills Y           → X later than Y
    X below Y, X cut_by Y, X filled_by Y     → Y later than X
    X same_as Y                              → X and Y are one context

Contexts joined by ``same_as`` are one node; a cycle is a strongly connected set of
nodes (Tarjan's algorithm, iterative) or a node later than itself. A context related to
itself is reported on its own as a self-reference. Retracted records and removed items
count for nothing; a context number and a relationship are read from their displayed
values (a conflict on them is already flagged on the record). Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

import msgspec

from sync.record import Record

__all__ = ["EARLIER", "LATER", "Relationship", "StratigraphyProblem", "check_site", "relationships"]

LATER = frozenset({"above", "cuts", "fills"})
EARLIER = frozenset({"below", "cut_by", "filled_by"})
SAME = "same_as"


class Relationship(msgspec.Struct, frozen=True, kw_only=True, order=True):
    """One row of a context's ``relationships`` group, with the record that holds it."""

    context_no: int
    relation: str
    other_context_no: int
    record_id: str
    item_id: str


class StratigraphyProblem(msgspec.Struct, frozen=True, kw_only=True):
    """A contradiction in one site's Harris matrix, with the relationships that make it."""

    kind: Literal["cycle", "self_reference"]
    contexts: list[int]
    relationships: list[Relationship]


def relationships(record: Record, group: str = "relationships") -> Iterator[Relationship]:
    """The live relationship rows of one excavation-context record (none if retracted)."""
    if record.retracted:
        return
    context_no = _shown(record.fields.get("context_no"))
    if not _is_number(context_no):
        return
    for item_id, item in sorted(record.items.get(group, {}).items()):
        if not item.present:
            continue
        relation = _shown(item.fields.get("relation"))
        other = _shown(item.fields.get("other_context_no"))
        if (relation in LATER or relation in EARLIER or relation == SAME) and _is_number(other):
            yield Relationship(
                context_no=context_no,
                relation=relation,
                other_context_no=other,
                record_id=record.id,
                item_id=item_id,
            )


def _shown(state: Any) -> Any:
    return None if state is None or not state.live else state.value


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Nodes:
    """Union-find over context numbers (for same_as)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _later_edge(rel: Relationship) -> tuple[int, int]:
    """(later, earlier) context numbers of a LATER/EARLIER relationship."""
    if rel.relation in LATER:
        return rel.context_no, rel.other_context_no
    return rel.other_context_no, rel.context_no


def _strongly_connected(graph: dict[int, set[int]]) -> list[list[int]]:
    """Tarjan's strongly connected components, without recursion."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[int, Iterator[int]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def check_site(rows: Iterable[Relationship]) -> list[StratigraphyProblem]:
    """Every self-reference and every cycle in one site's relationships, in a stable order."""
    rows = sorted(set(rows))
    problems: list[StratigraphyProblem] = []
    nodes = _Nodes()
    ordered: list[Relationship] = []
    for rel in rows:
        if rel.context_no == rel.other_context_no:
            problems.append(
                StratigraphyProblem(
                    kind="self_reference", contexts=[rel.context_no], relationships=[rel]
                )
            )
        elif rel.relation == SAME:
            nodes.union(rel.context_no, rel.other_context_no)
        else:
            ordered.append(rel)
    graph: dict[int, set[int]] = {}
    for rel in ordered:
        later, earlier = (nodes.find(n) for n in _later_edge(rel))
        graph.setdefault(later, set()).add(earlier)
        graph.setdefault(earlier, set())
    cyclic: dict[int, int] = {}  # node → the cycle it belongs to
    for component in _strongly_connected(graph):
        if len(component) > 1 or component[0] in graph[component[0]]:
            for node in component:
                cyclic[node] = component[0]
    by_cycle: dict[int, list[Relationship]] = {}
    for rel in rows:
        if rel.context_no == rel.other_context_no:
            continue
        a, b = nodes.find(rel.context_no), nodes.find(rel.other_context_no)
        if a in cyclic and cyclic[a] == cyclic.get(b):
            by_cycle.setdefault(cyclic[a], []).append(rel)
    for members in by_cycle.values():
        contexts = sorted({r.context_no for r in members} | {r.other_context_no for r in members})
        problems.append(StratigraphyProblem(kind="cycle", contexts=contexts, relationships=members))
    problems.sort(key=lambda p: (p.contexts, p.kind))
    return problems
