"""Console pages for supervisors: sign-in, projects, dashboard, queue, records, map, checks.

Each handler reads the signed-in principal, calls the same service the JSON API calls
(`server.review`, `server.resolution`, `server.downloads`) and renders a template. A
form post is checked for its CSRF token and answered with a redirect (post/redirect/get),
so every action works without JavaScript.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from forms.schema import AttachmentField, RepeatGroup
from server import auth, downloads, resolution, review
from server.controllers import review_models as m
from server.errors import BadRequest, CairnServerError, TooManyRequests, Unauthorized
from server.materialize import decode_record, point
from server.ratelimit import FailedAuthLimiter
from server.store import admin as rows
from server.store import queries
from server.web import matrix
from server.web.guard import (
    SignInNeeded,
    check_csrf,
    context,
    error_page,
    is_https,
    security_headers,
    sessions,
    signed_in,
    to_sign_in,
)
from server.web.sessions import COOKIE, LIFETIME_S, LOGIN_COOKIE, same_secret
from server.web.values import record_url, shown, typed_value

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PAGE_SIZE = 50
FILTERS = ("form", "review_state", "has_conflicts", "has_duplicates", "retracted", "q", "bbox")


def page(request: Request[Any, Any, Any], name: str, **values: Any) -> Template:
    """A console page with what every page needs (who is signed in, the CSRF token)."""
    try:
        me, session = signed_in(request)
    except SignInNeeded:
        me, session = None, None
    values.setdefault("status_code", 200)
    status = values.pop("status_code")
    return Template(
        template_name=name,
        context={"me": me, "csrf": session.csrf if session else "", "shown": shown, **values},
        status_code=status,
    )


def _flag(text: str | None) -> bool | None:
    return None if not text else text == "true"


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class ConsolePages(Controller):
    """The supervisors' pages."""

    path = "/"
    include_in_schema = False
    exception_handlers = {SignInNeeded: to_sign_in, CairnServerError: error_page}  # noqa: RUF012

    @get("/login", sync_to_thread=False)
    def login_form(self, request: Request[Any, Any, Any]) -> Template:
        """The sign-in page: paste a supervisor or admin token."""
        nonce = request.cookies.get(LOGIN_COOKIE) or _nonce()
        response = page(request, "login.html", nonce=nonce, problem=None)
        response.set_cookie(
            LOGIN_COOKIE, nonce, httponly=True, samesite="strict", secure=is_https(request)
        )
        return response

    @post("/login", sync_to_thread=True, status_code=303)
    def login(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        """Exchange a token for a session; the same failed-token limit as the API."""
        if not same_secret(data.get("nonce"), request.cookies.get(LOGIN_COOKIE)):
            raise BadRequest(
                "the sign-in form is stale (its check did not match); reload and try again",
                code="csrf_failed",
            )
        limiter: FailedAuthLimiter = request.app.state.auth_limiter
        retry = limiter.retry_after(_client(request))
        if retry is not None:
            raise TooManyRequests(
                f"too many wrong tokens from this address; try again in {retry} s",
                retry_after_s=retry,
            )
        token = str(data.get("token", "")).strip()
        if not token:
            nonce = request.cookies.get(LOGIN_COOKIE) or _nonce()
            problem = "paste your token (it starts with cairn_) to sign in"
            return page(request, "login.html", nonce=nonce, problem=problem, status_code=400)
        store = context(request).store
        try:
            row = auth.token_row(store.reader(), f"Bearer {token}")
        except Unauthorized as exc:
            limiter.record_failure(_client(request))
            context(request).metrics.failed_login("console", exc.code)
            nonce = request.cookies.get(LOGIN_COOKIE) or _nonce()
            return page(request, "login.html", nonce=nonce, problem=exc.message, status_code=401)
        principal = auth.principal_of(row)
        if principal.role == auth.METRICS_ROLE:
            nonce = request.cookies.get(LOGIN_COOKIE) or _nonce()
            problem = (
                "a metrics token reads only /metrics; sign in with a supervisor or admin token"
            )
            return page(request, "login.html", nonce=nonce, problem=problem, status_code=403)
        auth.note_use(store, row)
        cookie, _ = sessions(request).create(principal.token_id)
        target = "/" if principal.project is None else f"/p/{principal.project}"
        response: Response[Any] = Redirect(target, status_code=303)
        response.set_cookie(
            COOKIE,
            cookie,
            httponly=True,
            samesite="strict",
            secure=is_https(request),
            max_age=LIFETIME_S,
            path="/",
        )
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @post("/logout", sync_to_thread=False, status_code=303)
    def logout(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        """End the session."""
        _, session = signed_in(request)
        check_csrf(session, data)
        sessions(request).drop(request.cookies.get(COOKIE))
        response: Response[Any] = Redirect("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @get("/", sync_to_thread=True)
    def projects(self, request: Request[Any, Any, Any]) -> Template:
        """The projects this token may see."""
        me, _ = signed_in(request)
        all_projects = rows.list_projects(context(request).store.reader())
        visible = [p for p in all_projects if me.role == "admin" or p.code == me.project]
        return page(request, "projects.html", projects=visible)

    @get("/p/{code:str}", sync_to_thread=True)
    def dashboard(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        """A project at a glance: records by form and state, checks, devices."""
        me, _ = signed_in(request)
        conn = context(request).store.reader()
        review.require_visible_project(conn, me, code)
        table: dict[str, dict[str, int]] = {}
        for form_id, state, n in queries.state_counts(conn, code):
            table.setdefault(form_id, {})[state] = n
        problems = review.stratigraphy(conn, code)
        quarantined = queries.device_quarantine_counts(conn, code)
        synced = queries.device_sync_counts(conn, code)
        devices = [
            (d, quarantined.get(d.device_id, 0), *synced.get(d.device_id, (0, 0)))
            for d in rows.list_devices(conn, code)
        ]
        return page(
            request,
            "dashboard.html",
            code=code,
            project=rows.get_project(conn, code),
            table=table,
            states=review.REVIEW_STATES,
            counts=queries.project_counts(conn, code),
            duplicates=len(review.duplicates(conn, code)),
            cycles=len(problems),
            devices=devices,
        )

    @get("/p/{code:str}/records", sync_to_thread=True)
    def queue(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        """The review queue: the API's filters, newest or oldest change first, paged."""
        me, _ = signed_in(request)
        ctx = context(request)
        review.require_visible_project(ctx.store.reader(), me, code)
        args = {k: request.query_params.get(k) or None for k in FILTERS}
        flt = review.record_filter(
            ctx,
            code,
            form=args["form"],
            review_state=args["review_state"],
            has_conflicts=_flag(args["has_conflicts"]),
            has_duplicates=_flag(args["has_duplicates"]),
            retracted=_flag(args["retracted"]),
            q=args["q"],
            bbox=args["bbox"],
        )
        order = request.query_params.get("order") or "newest"
        if order not in ("newest", "oldest"):
            raise BadRequest("order must be newest or oldest", code="bad_filter")
        cursor = request.query_params.get("cursor") or None
        found = review.page_records(ctx, flt, cursor, PAGE_SIZE, newest=order == "newest")
        keep = {k: v for k, v in args.items() if v}
        return page(
            request,
            "queue.html",
            code=code,
            rows=found.rows,
            next_cursor=found.next_cursor,
            args=keep,
            order=order,
            forms=ctx.forms.ids(),
            states=review.REVIEW_STATES,
        )

    @get("/r/{record_id:str}", sync_to_thread=True)
    def record(
        self,
        request: Request[Any, Any, Any],
        record_id: FromPath[str],
        project: FromQuery[str | None] = None,
    ) -> Template:
        """One record: values with provenance, items, conflicts, history, map, review.

        Record ids are scoped to their project: links carry `?project=CODE`, which an
        admin needs when two projects hold the same id.
        """
        me, _ = signed_in(request)
        ctx = context(request)
        conn = ctx.store.reader()
        row = review.visible_record(conn, me, record_id, project)
        record = decode_record(row.state)
        form = review.form_of(ctx, record.form)
        detail = m.detail(ctx, conn, row, record)
        labels = {a.actor: a.label or a.actor for a in detail.actors}
        where = point(form, record)
        comments = [
            (w, record.entry(w)) for w in sorted(record.review.history, key=lambda w: w.counter)
        ]
        has_attachment_field = any(
            isinstance(f, AttachmentField)
            or (
                isinstance(f, RepeatGroup) and any(isinstance(g, AttachmentField) for g in f.fields)
            )
            for f in form.fields
        )
        groups = {
            g.name: [f.name for f in g.fields] for g in form.fields if isinstance(g, RepeatGroup)
        }
        blockers = resolution.approval_blockers(ctx, conn, row.project, record)
        return page(
            request,
            "record.html",
            row=row,
            view=detail.record,
            form=form,
            labels=labels,
            where=json.dumps({"lat": where[0], "lon": where[1]}) if where else "",
            history=[_history_line(h) for h in review.history(conn, row)],
            comments=comments,
            files=detail.attachments,
            has_attachment_field=has_attachment_field,
            groups=groups,
            blockers=blockers,
            transitions=resolution.TRANSITIONS.get(detail.record.review_state, ()),
        )

    @post("/r/{record_id:str}/resolve", sync_to_thread=True, status_code=303)
    def resolve(
        self,
        request: Request[Any, Any, Any],
        record_id: FromPath[str],
        data: Form,
        project: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """Resolve one conflict exactly as the API does: choose a side or type a value."""
        me, session = signed_in(request)
        check_csrf(session, data)
        ctx = context(request)
        kind, path = str(data.get("conflict", "")), str(data.get("path", ""))
        choice = str(data.get("choose", ""))
        typed = str(data.get("value", ""))
        chosen: tuple[str, int] | None = None
        has_value, value = False, None
        if choice and choice != "new":
            actor, _, counter = choice.rpartition(":")
            if not counter.isdigit():
                raise BadRequest("choose one of the live values listed", code="bad_choice")
            chosen = (actor, int(counter))
        elif choice == "new":
            row = review.visible_record(ctx.store.reader(), me, record_id, project)
            form = review.form_of(ctx, decode_record(row.state).form)
            has_value, value = True, typed_value(form, path, typed)
        if kind == "key" and data.get("remove") == "yes":
            has_value, value = True, False
        if kind in ("item", "retraction") and choice in ("keep", "drop"):
            chosen, has_value, value = None, True, choice == "keep"
        done = resolution.resolve(
            ctx,
            me,
            record_id,
            kind=kind,
            path=path,
            reason=str(data.get("reason", "")),
            chosen=chosen,
            value=value,
            has_value=has_value,
            project=project,
        )
        return Redirect(record_url(done.row) + "#conflicts", status_code=303)

    @post("/r/{record_id:str}/review", sync_to_thread=True, status_code=303)
    def set_review(
        self,
        request: Request[Any, Any, Any],
        record_id: FromPath[str],
        data: Form,
        project: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """A review state with its comment (and the reason to approve despite blockers)."""
        me, session = signed_in(request)
        check_csrf(session, data)
        done = resolution.review(
            context(request),
            me,
            record_id,
            str(data.get("state", "")),
            str(data.get("comment", "")),
            str(data.get("override_reason", "")),
            project=project,
        )
        return Redirect(record_url(done.row) + "#review", status_code=303)

    @get("/p/{code:str}/map", sync_to_thread=True)
    def project_map(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        """Every located record of the project on a map (no tile server needed)."""
        me, _ = signed_in(request)
        review.require_visible_project(context(request).store.reader(), me, code)
        return page(request, "map.html", code=code, tile_url=context(request).config.tile_url or "")

    @get("/p/{code:str}/map.geojson", sync_to_thread=True, media_type="application/geo+json")
    def map_data(self, request: Request[Any, Any, Any], code: FromPath[str]) -> bytes:
        """The map's features: the API's GeoJSON of the project (session-authorized)."""
        me, _ = signed_in(request)
        ctx = context(request)
        review.require_visible_project(ctx.store.reader(), me, code)
        return b"".join(downloads.geojson(ctx, review.record_filter(ctx, code)))

    @get("/p/{code:str}/duplicates", sync_to_thread=True)
    def duplicates(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        """Identifiers held by two or more records, with those records."""
        me, _ = signed_in(request)
        conn = context(request).store.reader()
        review.require_visible_project(conn, me, code)
        return page(request, "duplicates.html", code=code, found=review.duplicates(conn, code))

    @get("/p/{code:str}/stratigraphy", sync_to_thread=True)
    def stratigraphy(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        """Each site's Harris matrix as a graph, cycles highlighted with their records."""
        me, _ = signed_in(request)
        conn = context(request).store.reader()
        review.require_visible_project(conn, me, code)
        problems = review.stratigraphy(conn, code)
        sites = []
        for site, rels in review.site_relationships(conn, code).items():
            mine = [p for s, p in problems if s == site]
            sites.append((site, matrix.draw(rels, mine), mine))
        return page(request, "stratigraphy.html", code=code, sites=sites)


def _history_line(entry: review.HistoryEntry) -> tuple[Any, Any, str, str]:
    """(row, op, kind, what it did) for the timeline."""
    op = entry.op
    kind = str(type(op).__struct_config__.tag)
    parts: list[str] = []
    fields = getattr(op, "fields", None)
    if fields:
        parts.append(", ".join(f"{k}={shown(v)}" for k, v in fields.items()))
    for name in ("group", "path", "state", "comment", "reason"):
        value = getattr(op, name, None)
        if value:
            parts.append(f"{name} {shown(value)}")
    if kind == "resolve":
        parts.append(f"value {shown(getattr(op, 'value', None))}")
    return entry.row, op, kind, " · ".join(parts)


def _nonce() -> str:
    import secrets

    return secrets.token_urlsafe(24)


def with_headers(tile_url: str | None) -> Any:
    """The after-request hook adding the console's security headers."""

    def hook(response: Response[Any]) -> Response[Any]:
        return security_headers(response, tile_url)

    return hook
