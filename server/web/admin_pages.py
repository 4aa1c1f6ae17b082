"""Console pages for administrators: devices (enroll codes with a QR code, revoke), tokens
(issue, list, revoke) and archive exports, over the same services as the API."""

from __future__ import annotations

from typing import Any

import segno
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template

from server import admin
from server.clock import now_ms
from server.controllers.export import archive_download
from server.errors import BadRequest, CairnServerError
from server.store import admin as rows
from server.web.guard import (
    SignInNeeded,
    admin_only,
    check_csrf,
    context,
    error_page,
    signed_in,
    to_sign_in,
)
from server.web.pages import Form, page

ENROLL_HOURS = 24


def enroll_link(request: Request[Any, Any, Any], code: str) -> str:
    """What the QR code holds: the field app's address with the code (scanned, it enrolls)."""
    base = str(request.base_url).rstrip("/")
    return f"{base}/field/#enroll={code}"


def qr_svg(text: str) -> str:
    """A QR code as SVG markup (made here from our own text: no field value goes in)."""
    svg: str = segno.make(text, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    return svg


class AdminPages(Controller):
    """The administrators' pages."""

    path = "/"
    include_in_schema = False
    exception_handlers = {SignInNeeded: to_sign_in, CairnServerError: error_page}  # noqa: RUF012

    @get("/p/{code:str}/devices", sync_to_thread=True)
    def devices(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        """A project's devices, with a form for a new enrollment code."""
        me, _ = signed_in(request)
        admin_only(me)
        listed = admin.list_devices(context(request).store, code)
        return page(request, "devices.html", code=code, devices=listed, issued=None)

    @post("/p/{code:str}/enroll", sync_to_thread=True, status_code=200)
    def enroll(self, request: Request[Any, Any, Any], code: FromPath[str], data: Form) -> Template:
        """Issue a one-time enrollment code, shown as text and as a QR code."""
        me, session = signed_in(request)
        admin_only(me)
        check_csrf(session, data)
        hours = str(data.get("hours", ENROLL_HOURS)).strip() or str(ENROLL_HOURS)
        if not hours.isdigit() or not 1 <= int(hours) <= 24 * 30:
            raise BadRequest("the code lasts 1 to 720 hours", code="bad_expiry")
        store = context(request).store
        issued = admin.issue_enroll_code(store, code, int(hours) * 3600, me.actor)
        link = enroll_link(request, issued.code)
        return page(
            request,
            "devices.html",
            code=code,
            devices=admin.list_devices(store, code),
            issued=issued,
            link=link,
            qr=qr_svg(link),
        )

    @post("/devices/{device_id:str}/revoke", sync_to_thread=True, status_code=303)
    def revoke_device(
        self, request: Request[Any, Any, Any], device_id: FromPath[str], data: Form
    ) -> Response[Any]:
        """Revoke a device: its batches are refused from now on."""
        me, session = signed_in(request)
        admin_only(me)
        check_csrf(session, data)
        device = admin.revoke_device(context(request).store, device_id, me.actor)
        return Redirect(f"/p/{device.project}/devices", status_code=303)

    @get("/tokens", sync_to_thread=True)
    def tokens(self, request: Request[Any, Any, Any]) -> Template:
        """Every token (never the token itself: only its id, role, project, label)."""
        me, _ = signed_in(request)
        admin_only(me)
        conn = context(request).store.reader()
        listed = rows.list_tokens(conn)
        return page(
            request,
            "tokens.html",
            tokens=listed,
            projects=rows.list_projects(conn),
            issued=None,
            now=now_ms(),
        )

    @post("/tokens", sync_to_thread=True, status_code=200)
    def issue_token(self, request: Request[Any, Any, Any], data: Form) -> Template:
        """Issue a token; shown once on the answer page, stored only as a hash."""
        me, session = signed_in(request)
        admin_only(me)
        check_csrf(session, data)
        store = context(request).store
        role = str(data.get("role", ""))
        project = str(data.get("project", "")) or None
        days = str(data.get("days", "")).strip()
        if days and (not days.isdigit() or not 1 <= int(days) <= 3650):
            raise BadRequest(
                "a token expires after 1 to 3650 days (leave it empty: never)", code="bad_expiry"
            )
        issued = admin.issue_token(
            store,
            role,
            project if role == "supervisor" else None,
            me.actor,
            str(data.get("label", "")),
            int(days) * 86400 if days else None,
        )
        conn = store.reader()
        return page(
            request,
            "tokens.html",
            tokens=rows.list_tokens(conn),
            projects=rows.list_projects(conn),
            issued=issued,
            now=now_ms(),
        )

    @post("/tokens/{token_id:str}/revoke", sync_to_thread=True, status_code=303)
    def revoke_token(
        self, request: Request[Any, Any, Any], token_id: FromPath[str], data: Form
    ) -> Response[Any]:
        """Revoke a token: refused on its next request, its console sessions end."""
        me, session = signed_in(request)
        admin_only(me)
        check_csrf(session, data)
        admin.revoke_token(context(request).store, token_id, me.actor)
        return Redirect("/tokens", status_code=303)

    @get("/p/{code:str}/export", sync_to_thread=True)
    def export_form(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
        """The export form: the age public keys that may open the archive."""
        me, _ = signed_in(request)
        admin_only(me)
        return page(request, "export.html", code=code)

    @post("/p/{code:str}/export", sync_to_thread=True, status_code=200)
    def export(self, request: Request[Any, Any, Any], code: FromPath[str], data: Form) -> Stream:
        """Snapshot, sign, audit and stream the project's age-encrypted archive."""
        me, session = signed_in(request)
        admin_only(me)
        check_csrf(session, data)
        recipients = [r for r in str(data.get("recipients", "")).split() if r]
        if not recipients:
            raise BadRequest(
                "give at least one age public key (age1… or age1pq1…)", code="no_recipients"
            )
        return archive_download(context(request), code, recipients, me.actor)
