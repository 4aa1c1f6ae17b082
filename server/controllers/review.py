"""Supervisor routes: find, read and review records; resolve conflicts; GeoJSON and CSV.

Admins may use every project, a supervisor only their own: a project or record of
another project answers 404 exactly as one that does not exist. The record filters
(`form`, `review_state`, `has_conflicts`, `has_duplicates`, `retracted`,
`has_missing_attachments`, `since`, `q`, `bbox`) are one dependency shared by the list,
the conflicts and both downloads.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream

from server import downloads, openapi, resolution, review
from server.auth import Caller
from server.context import Cairn
from server.controllers import review_models as m
from server.errors import BadRequest
from server.materialize import decode_record
from server.store import queries
from server.store import sync_tables as st
from server.streaming import threaded
from sync.conflicts import conflicts


def record_filter(
    code: FromPath[str],
    cairn: Cairn,
    principal: Caller,
    form: FromQuery[str | None] = None,
    review_state: FromQuery[str | None] = None,
    has_conflicts: FromQuery[bool | None] = None,
    has_duplicates: FromQuery[bool | None] = None,
    retracted: FromQuery[bool | None] = None,
    since: FromQuery[int | None] = None,
    q: FromQuery[str | None] = None,
    bbox: FromQuery[str | None] = None,
    has_missing_attachments: FromQuery[bool | None] = None,
) -> queries.RecordFilter:
    """The checked record filter of a project route (after the project access check)."""
    review.require_visible_project(cairn.store.reader(), principal, code)
    return review.record_filter(
        cairn,
        code,
        form=form,
        review_state=review_state,
        has_conflicts=has_conflicts,
        has_duplicates=has_duplicates,
        retracted=retracted,
        since=since,
        q=q,
        bbox=bbox,
        has_missing_attachments=has_missing_attachments,
    )


# Errors the routes answer, by status.
PROJECT_404 = "No such project, or not this token's (`not_found`)"
RECORD_404 = "No such record, or not in a project this token sees (`unknown_record`)"
FILTER_400 = (
    "A filter that does not fit: unknown form, review state or since (`bad_filter`), "
    "a bad box (`bad_bbox`), cursor (`bad_cursor`) or limit (`bad_limit`)"
)
RECORD_400 = "An id two projects hold, asked without `?project=CODE` (`project_required`)"
LISTS = openapi.doc(errors={400: FILTER_400, 404: PROJECT_404})
RECORD = openapi.doc(errors={400: RECORD_400, 404: RECORD_404})
PROJECT = openapi.doc(errors={404: PROJECT_404})
GEOJSON: dict[str, object] = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "geometry": {"type": ["object", "null"]},
                    "properties": {"type": "object"},
                },
            },
        },
    },
}

# Handler parameter type for the checked record filter (injected by name as `flt`).
Filter = NamedDependency[queries.RecordFilter]


class ReviewController(Controller):
    """Records, conflicts, reviews, duplicates, quarantine and downloads for supervisors."""

    path = "/v1"
    tags = ["review"]  # noqa: RUF012
    security = openapi.BEARER_ONLY
    dependencies = {"flt": Provide(record_filter, sync_to_thread=True)}  # noqa: RUF012

    @get("/projects/{code:str}/records", sync_to_thread=True, opt=LISTS)
    def list_records(
        self,
        cairn: Cairn,
        flt: Filter,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = review.DEFAULT_LIMIT,
    ) -> m.RecordPageResponse:
        """Records matching the filters, oldest change first, a page at a time."""
        page = review.page_records(cairn, flt, cursor, limit)
        return m.RecordPageResponse(
            items=[m.summary(r) for r in page.rows], next_cursor=page.next_cursor
        )

    @get("/projects/{code:str}/conflicts", sync_to_thread=True, opt=LISTS)
    def list_conflicts(
        self,
        cairn: Cairn,
        flt: Filter,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = review.DEFAULT_LIMIT,
    ) -> m.ConflictPageResponse:
        """Records with open conflicts, each conflict with all its live values."""
        flt = msgspec.structs.replace(flt, has_conflicts=True)
        page = review.page_records(cairn, flt, cursor, limit)
        items = [_conflicts(r) for r in page.rows]
        return m.ConflictPageResponse(items=items, next_cursor=page.next_cursor)

    @get("/records/{record_id:str}", sync_to_thread=True, opt=RECORD)
    def get_record(
        self,
        record_id: FromPath[str],
        cairn: Cairn,
        principal: Caller,
        project: FromQuery[str | None] = None,
    ) -> m.RecordResponse:
        """One consolidated record: values, provenance of each value, open conflicts.

        Record ids are scoped to their project: an admin adds `?project=CODE` when the id
        is held by more than one project (400 `project_required` otherwise).
        """
        conn = cairn.store.reader()
        return m.detail(cairn, conn, review.visible_record(conn, principal, record_id, project))

    @get("/records/{record_id:str}/history", sync_to_thread=True, opt=RECORD)
    def record_history(
        self,
        record_id: FromPath[str],
        cairn: Cairn,
        principal: Caller,
        project: FromQuery[str | None] = None,
    ) -> m.HistoryResponse:
        """Every op of the record, decoded, in arrival order."""
        conn = cairn.store.reader()
        row = review.visible_record(conn, principal, record_id, project)
        ops = [m.history_entry(e) for e in review.history(conn, row)]
        return m.HistoryResponse(record_id=row.record_id, ops=ops)

    @post(
        "/records/{record_id:str}/resolutions",
        status_code=201,
        sync_to_thread=True,
        opt=openapi.doc(
            errors={
                400: RECORD_400 + "; an unknown kind or path, no reason, a choice that is "
                "not live, or a value that does not fit the field (`unknown_conflict_kind`, "
                "`bad_path`, `unknown_path`, `reason_required`, `bad_choice`, `not_live`, "
                "`bad_resolution`, `bad_value`, `invalid_values`)",
                404: RECORD_404,
                409: "No such open conflict (`conflict_not_open`), or a change the form "
                "forbids (`immutable_field`, `append_only`)",
            }
        ),
    )
    def resolve(
        self,
        record_id: FromPath[str],
        data: JSONBody[m.ResolutionRequest],
        cairn: Cairn,
        principal: Caller,
        project: FromQuery[str | None] = None,
    ) -> m.AppliedResponse:
        """Resolve one open conflict with a live value or a new one, and a reason."""
        done = resolution.resolve(
            cairn,
            principal,
            record_id,
            kind=data.conflict,
            path=data.path,
            reason=data.reason,
            chosen=(data.choose.actor, data.choose.counter) if data.choose else None,
            value=data.value,
            has_value=data.value is not msgspec.UNSET,
            project=project,
        )
        return m.applied(cairn, cairn.store.reader(), done)

    @post(
        "/records/{record_id:str}/review",
        status_code=201,
        sync_to_thread=True,
        opt=openapi.doc(
            errors={
                400: RECORD_400 + "; a state that cannot be set (`bad_state`) or a missing "
                "comment (`comment_required`)",
                404: RECORD_404,
                409: "A move the review states do not allow (`invalid_transition`), or "
                "approving a record with open conflicts, duplicate identifiers or missing "
                "required fields without `override_reason` (`approval_blocked`)",
            }
        ),
    )
    def review_record(
        self,
        record_id: FromPath[str],
        data: JSONBody[m.ReviewRequest],
        cairn: Cairn,
        principal: Caller,
        project: FromQuery[str | None] = None,
    ) -> m.AppliedResponse:
        """Set the review state (received → has_issues / approved / rejected), with a comment."""
        done = resolution.review(
            cairn,
            principal,
            record_id,
            data.state,
            data.comment,
            data.override_reason,
            project=project,
        )
        return m.applied(cairn, cairn.store.reader(), done)

    @get("/projects/{code:str}/duplicates", sync_to_thread=True, opt=PROJECT)
    def duplicates(
        self, code: FromPath[str], cairn: Cairn, principal: Caller
    ) -> list[m.DuplicateResponse]:
        """Every human identifier held by two or more records, with those records."""
        conn = cairn.store.reader()
        review.require_visible_project(conn, principal, code)
        return [
            m.DuplicateResponse(
                form_id=f, name=n, scope=s, value=v, records=[m.summary(r) for r in rows]
            )
            for f, n, s, v, rows in review.duplicates(conn, code)
        ]

    @get("/projects/{code:str}/stratigraphy", sync_to_thread=True, opt=PROJECT)
    def stratigraphy(
        self, code: FromPath[str], cairn: Cairn, principal: Caller
    ) -> list[m.StratigraphyProblemResponse]:
        """Every cycle and self-reference in each site's Harris matrix (excavation contexts)."""
        conn = cairn.store.reader()
        review.require_visible_project(conn, principal, code)
        return [
            m.StratigraphyProblemResponse(
                site_code=site,
                kind=problem.kind,
                contexts=problem.contexts,
                relationships=problem.relationships,
            )
            for site, problem in review.stratigraphy(conn, code)
        ]

    @get(
        "/projects/{code:str}/quarantine",
        sync_to_thread=True,
        opt=openapi.doc(errors={400: "A limit out of range (`bad_limit`)", 404: PROJECT_404}),
    )
    def quarantine(
        self,
        code: FromPath[str],
        cairn: Cairn,
        principal: Caller,
        after: FromQuery[int] = 0,
        limit: FromQuery[int] = review.DEFAULT_LIMIT,
    ) -> m.QuarantinePageResponse:
        """Refused batches and ops of the project, with their reasons, oldest first."""
        conn = cairn.store.reader()
        review.require_visible_project(conn, principal, code)
        rows = st.list_quarantine(conn, code, after, review.check_limit(limit) + 1)
        more = len(rows) > limit
        items = [m.quarantine_item(r) for r in rows[:limit]]
        return m.QuarantinePageResponse(items=items, next_after=items[-1].id if more else None)

    @get(
        "/projects/{code:str}/records.geojson",
        sync_to_thread=False,
        opt=openapi.doc(
            answer=openapi.Content(
                downloads.GEOJSON_TYPE,
                "An RFC 7946 FeatureCollection: a feature per located field of each "
                "matching record (a record with no place: one feature, null geometry)",
                schema=GEOJSON,
            ),
            errors={400: FILTER_400, 404: PROJECT_404},
        ),
    )
    def geojson(self, cairn: Cairn, flt: Filter) -> Stream:
        """The matching records as an RFC 7946 FeatureCollection (streamed)."""
        chunks = downloads.buffered(downloads.geojson(cairn, flt))
        return Stream(
            threaded(cairn.metrics.timed("geojson", chunks)), media_type=downloads.GEOJSON_TYPE
        )

    @get(
        "/projects/{code:str}/records.csv",
        sync_to_thread=False,
        opt=openapi.doc(
            answer=openapi.binary(
                downloads.CSV_CONTENT_TYPE,
                "One CSV table: a row per matching record of the form (with `conflicts` "
                "and `missing_required` columns), or per item of the repeat group `group`",
                **{"Content-Disposition": 'attachment; filename="FORM….csv"'},
            ),
            errors={
                400: FILTER_400 + "; no `form`, or a `group` the form does not have (`bad_filter`)",
                404: PROJECT_404,
            },
        ),
    )
    def csv(self, cairn: Cairn, flt: Filter, group: FromQuery[str | None] = None) -> Stream:
        """The matching records of one form (`form=`), or one repeat group's items, as CSV."""
        if flt.form_id is None:
            raise BadRequest("records.csv needs form=FORM (one table per form)", code="bad_filter")
        spec = downloads.csv_table(cairn, flt.form_id, group)
        name = spec.path.replace('"', "")
        chunks = downloads.buffered(downloads.csv_rows(cairn, flt, spec))
        return Stream(
            threaded(cairn.metrics.timed("csv", chunks)),
            media_type=downloads.CSV_TYPE,
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )


def _conflicts(row: st.RecordRow) -> m.RecordConflictsResponse:
    return m.RecordConflictsResponse(
        record_id=row.record_id,
        form_id=row.form_id,
        identifier=row.identifier,
        conflicts=list(conflicts(decode_record(row.state))),
    )
