"""The Harris matrix of a site drawn as a graph: contexts in layers, later above earlier.

Layout: each context's layer is the length of the longest chain of later contexts above
it, leaving out the edges of a cycle (and relaxed at most once per context, so an unseen
cycle cannot loop); contexts of a layer are spread by number. Edges of a cycle or a
self-reference are marked for highlighting. The result is numbers only; the page draws it
as SVG.
"""

from __future__ import annotations

import msgspec

from sync.stratigraphy import EARLIER, LATER, Relationship, StratigraphyProblem

GAP_X, GAP_Y, MARGIN = 90, 80, 40


class Node(msgspec.Struct, frozen=True, kw_only=True):
    """A context placed on the drawing."""

    context_no: int
    x: int
    y: int
    in_problem: bool


class Edge(msgspec.Struct, frozen=True, kw_only=True):
    """From a later context down to an earlier one."""

    later: int
    earlier: int
    x1: int
    y1: int
    x2: int
    y2: int
    in_problem: bool


class Drawing(msgspec.Struct, frozen=True, kw_only=True):
    """Nodes, edges and the drawing's size."""

    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int


def _pairs(rels: list[Relationship]) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for r in rels:
        if r.relation in LATER:
            out.add((r.context_no, r.other_context_no))
        elif r.relation in EARLIER:
            out.add((r.other_context_no, r.context_no))
    return out


def draw(rels: list[Relationship], problems: list[StratigraphyProblem]) -> Drawing:
    """Place a site's contexts and relationships; mark those in a problem."""
    pairs = _pairs(rels)
    contexts = sorted({n for p in pairs for n in p} | {r.context_no for r in rels})
    bad_contexts = {n for p in problems for n in p.contexts}
    bad_pairs = {pair for p in problems for pair in _pairs(p.relationships)}
    layer = dict.fromkeys(contexts, 0)
    acyclic = sorted(pairs - bad_pairs)  # a cycle's own edges do not decide the layers
    for _ in range(len(contexts)):
        changed = False
        for later, earlier in acyclic:
            if later != earlier and layer[earlier] < layer[later] + 1 <= len(contexts):
                layer[earlier] = layer[later] + 1
                changed = True
        if not changed:
            break
    rows: dict[int, list[int]] = {}
    for n in contexts:
        rows.setdefault(layer[n], []).append(n)
    where: dict[int, tuple[int, int]] = {}
    for depth, (_, members) in enumerate(sorted(rows.items())):  # layers used, top down
        for i, n in enumerate(members):
            where[n] = (MARGIN + i * GAP_X, MARGIN + depth * GAP_Y)
    nodes = [
        Node(context_no=n, x=where[n][0], y=where[n][1], in_problem=n in bad_contexts)
        for n in contexts
    ]
    edges = [
        Edge(
            later=a,
            earlier=b,
            x1=where[a][0],
            y1=where[a][1],
            x2=where[b][0],
            y2=where[b][1],
            in_problem=(a, b) in bad_pairs,
        )
        for a, b in sorted(pairs)
    ]
    widest = max((len(m) for m in rows.values()), default=1)
    return Drawing(
        nodes=nodes,
        edges=edges,
        width=2 * MARGIN + max(widest - 1, 0) * GAP_X,
        height=2 * MARGIN + max(len(rows) - 1, 0) * GAP_Y,
    )
