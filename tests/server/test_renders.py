"""Renders made ahead for downloads: a download sends the same bytes whether it copies
records' renders or renders them itself, and never copies a render that does not match.

The records are the merge corpus's (conflicts, items, removals, key clashes, retractions),
identifiers shaped as formulas, stored in a real data directory under every built-in form
(one project per form), and read back through `server.downloads` as a supervisor's
request reads them.
"""

from __future__ import annotations

import time

import msgspec
import pytest
from litestar.testing import TestClient

from server import admin, downloads
from server.config import load_config
from server.context import ServerContext
from server.datadir import DataDir
from server.export import formats, renders
from server.store import queries
from server.store import renders as rt
from server.store import sync_tables as st
from server.verify import verify
from tests.server.conftest import PROJECT
from tests.server.review_fixtures import MakeDevice, grave, supervisor
from tests.server.test_whole_entries import LIBRARY, _states

FORMS = sorted(LIBRARY.ids())


def _project(form_id: str) -> str:
    return f"R-{FORMS.index(form_id)}"


@pytest.fixture
def ctx(data: DataDir) -> ServerContext:
    """A context over a data directory holding the corpus under every built-in form."""
    rows = []
    for form_id in FORMS:
        admin.create_project(data.store, _project(form_id), form_id, "test")
        version = LIBRARY.versions(form_id)[-1]
        for n, (rid, retracted, state) in enumerate(_states()):
            rows.append(
                st.RecordRow(
                    record_id=f"{rid}-{n}",  # the corpus reuses ids across cases
                    project=_project(form_id),
                    form_id=form_id,
                    form_version=version,
                    identifier=f"=F,{n}" if n % 3 else None,
                    review_state="received",
                    retracted=retracted,
                    conflict_count=0,
                    updated_cursor=n + 1,
                    updated_at_ms=0,
                    state=state,
                )
            )
    with data.store.write() as conn:
        st.upsert_records(conn, rows)
    return ServerContext(
        config=load_config(data.path), store=data.store, keys=data.keys, forms=data.forms
    )


def _downloads(ctx: ServerContext) -> dict[str, bytes]:
    out = {}
    for form_id in FORMS:
        flt = queries.RecordFilter(project=_project(form_id), form_id=form_id)
        spec = downloads.csv_table(ctx, form_id, None)
        out[f"{form_id}.csv"] = b"".join(downloads.csv_rows(ctx, flt, spec))
        out[f"{form_id}.geojson"] = b"".join(downloads.geojson(ctx, flt))
    return out


def _count(ctx: ServerContext) -> int:
    (n,) = ctx.store.reader().execute("SELECT COUNT(*) FROM record_renders").fetchone()
    return int(n)


def test_downloads_copying_renders_send_the_bytes_of_downloads_rendering_each_record(
    ctx: ServerContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = _downloads(ctx)
    records = len(FORMS) * len(_states())
    assert renders.sweep_all(ctx.store, ctx.forms) == records
    assert _count(ctx) == records and rt.behind(ctx.store.reader()) == 0
    # Every record now comes from its render: rendering one would fail.
    monkeypatch.setattr(formats, "record_cells", _refuse)
    monkeypatch.setattr(formats, "geojson_features", _refuse)
    assert _downloads(ctx) == live
    assert renders.sweep(ctx.store, ctx.forms) == 0  # nothing changed, nothing to make


def _refuse(*_args: object, **_kwargs: object) -> object:
    raise AssertionError("the download rendered a record that has a render")


def test_a_record_changed_after_its_render_is_sent_as_it_stands(ctx: ServerContext) -> None:
    renders.sweep_all(ctx.store, ctx.forms)
    form_id = "site_grave"
    project = _project(form_id)
    conn = ctx.store.reader()
    rows = list(st.iter_records(conn, project))
    changed = [
        msgspec.structs.replace(rows[0], state=rows[1].state, review_state="approved"),
        msgspec.structs.replace(rows[2], identifier="G-renamed"),
        msgspec.structs.replace(rows[3], retracted=not rows[3].retracted),
    ]
    with ctx.store.write() as wconn:
        st.upsert_records(wconn, changed)  # same updated_cursor: no sweep would notice
    sent = _downloads(ctx)
    with ctx.store.write() as wconn:
        wconn.execute("DELETE FROM record_renders")
    assert sent == _downloads(ctx)  # as rendered with no render at all
    assert b"G-renamed" in sent[f"{form_id}.csv"] and b"G-renamed" in sent[f"{form_id}.geojson"]


def test_a_render_whose_key_does_not_match_is_never_copied(ctx: ServerContext) -> None:
    renders.sweep_all(ctx.store, ctx.forms)
    live = _downloads(ctx)
    with ctx.store.write() as conn:
        conn.execute(
            "UPDATE record_renders SET key = zeroblob(16), csv = 'forged\r\n',"
            " geojson = CAST('{\"forged\":1}' AS BLOB)"
        )
    assert _downloads(ctx) == live
    # A table laid out otherwise (a newer form version's columns) is not copied either.
    with ctx.store.write() as conn:
        conn.execute("DELETE FROM record_renders")
    renders.sweep_all(ctx.store, ctx.forms)
    with ctx.store.write() as conn:
        conn.execute("UPDATE record_renders SET csv_spec = zeroblob(16), csv = 'forged\r\n'")
    assert _downloads(ctx) == live


def test_verify_reports_a_render_that_a_download_would_copy_but_differs(
    ctx: ServerContext, data: DataDir
) -> None:
    renders.sweep_all(ctx.store, ctx.forms)
    # (The corpus's records were stored with no ops behind them: only renders count here.)
    report = verify(data.store, data.keys, data.forms, data_dir=data.path)
    assert [p for p in report.problems if p.startswith("render")] == []
    assert report.renders == len(FORMS) * len(_states())
    victim = st.iter_records(ctx.store.reader(), _project("site_grave")).__next__()
    with ctx.store.write() as conn:
        conn.execute(
            "UPDATE record_renders SET csv = 'tampered\r\n' WHERE project = ? AND record_id = ?",
            (victim.project, victim.record_id),
        )
    report = verify(data.store, data.keys, data.forms, data_dir=data.path)
    assert [p for p in report.problems if p.startswith("render")] == [
        f"render of record {victim.project} {victim.record_id}: differs from the record "
        "rendered now (a download would have sent it)"
    ]


def test_other_renderers_or_forms_make_every_render_again(ctx: ServerContext) -> None:
    records = len(FORMS) * len(_states())
    renders.sweep_all(ctx.store, ctx.forms)
    with ctx.store.write() as conn:
        st.set_meta(conn, "renders_version", "an older release")
    assert renders.sweep_all(ctx.store, ctx.forms) == records
    with ctx.store.write() as conn:
        st.clear_materialized(conn)  # a rebuild of the records
    assert _count(ctx) == 0 and rt.cursor(ctx.store.reader(), _project("site_grave")) == 0


def test_the_sweep_moves_past_whole_cursor_values_only(ctx: ServerContext) -> None:
    project = _project("site_grave")
    with ctx.store.write() as conn:
        conn.execute("DELETE FROM records WHERE project <> ?", (project,))
        conn.execute("UPDATE records SET updated_cursor = 7 WHERE project = ?", (project,))
    # Every record of the project shares one cursor value: a chunk smaller than them all
    # still renders them all (the cursor cannot stop inside a value).
    assert renders.sweep(ctx.store, ctx.forms, limit=3) == len(_states())
    assert rt.cursor(ctx.store.reader(), project) == 7


def test_the_view_builder_makes_renders_of_what_devices_push(
    data: DataDir,
    client: TestClient,  # type: ignore[type-arg]
    make_device: MakeDevice,
) -> None:
    """In the running app: records pushed (merged in the request, no wake-up of the
    builder) get their renders within a few of the builder's polls, and the download
    copies them."""
    dev = make_device("team-a")
    for n in range(5):
        dev.new("site_grave", grave(site_code=f"RN-{n:02d}"))
    dev.push()
    conn = data.store.reader()
    deadline = time.monotonic() + 20
    while rt.behind(conn) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rt.behind(conn) == 0
    (made,) = conn.execute(
        "SELECT COUNT(*) FROM record_renders WHERE project = ?", (PROJECT,)
    ).fetchone()
    assert made == 5
    base = f"/v1/projects/{PROJECT}"
    params = {"form": "site_grave"}
    resp = client.get(f"{base}/records.csv", headers=supervisor(data), params=params)
    assert resp.status_code == 200 and len(resp.text.splitlines()) == 1 + 5
    with data.store.write() as wconn:
        wconn.execute("DELETE FROM record_renders")
    again = client.get(f"{base}/records.csv", headers=supervisor(data), params=params)
    assert again.content == resp.content
