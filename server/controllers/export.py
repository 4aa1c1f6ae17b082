"""Archive export over HTTP: an admin asks, the age-encrypted tar streams back."""

from __future__ import annotations

import time
from collections.abc import Iterator

import msgspec
from litestar import Controller, post
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from server import openapi
from server.auth import Caller, require_admin
from server.context import Cairn
from server.controllers.admin import ADMIN_ONLY
from server.export.archive import ExportSource, PreparedArchive, prepare_archive
from server.streaming import threaded

MEDIA_TYPE = "application/octet-stream"


class ExportRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Who may open the archive: age public keys (all age1… or all age1pq1…)."""

    recipients: list[str]


def _stream(archive: PreparedArchive) -> Iterator[bytes]:
    """The encrypted archive, removing the spooled plaintext once sent (or abandoned)."""
    try:
        yield from archive.chunks()
    finally:
        archive.close()


class ExportController(Controller):
    """Encrypted, signed project archives (admin only)."""

    path = "/v1/projects"
    tags = ["export"]  # noqa: RUF012
    security = openapi.BEARER_ONLY

    @post(
        "/{code:str}/exports",
        status_code=200,
        sync_to_thread=True,
        opt=openapi.doc(
            answer=openapi.binary(
                MEDIA_TYPE,
                "The archive: an age file (to the recipients given) of a tar with the "
                "project's records, ops, audit chain, files and a manifest signed by the "
                "server (README, Archives)",
                **{
                    "Content-Disposition": 'attachment; filename="PROJECT-….tar.age"',
                    "X-Cairn-Manifest-SHA256": "SHA-256 of the archive's signed manifest",
                },
            ),
            errors={
                400: "No recipients, too many, a key that does not parse, or classic and "
                "post-quantum keys mixed (`no_recipients`, `too_many_recipients`, "
                "`bad_recipient`, `mixed_recipients`)",
                403: ADMIN_ONLY,
                404: "No such project (`not_found`)",
            },
        ),
    )
    def export(
        self, code: FromPath[str], data: JSONBody[ExportRequest], cairn: Cairn, principal: Caller
    ) -> Stream:
        """Snapshot, sign and audit the project, then stream its age-encrypted tar.

        Only the recipients' identities open it; `cairn archive verify` checks it whole.
        """
        require_admin(principal)
        return archive_download(cairn, code, data.recipients, principal.actor)


def archive_download(cairn: Cairn, code: str, recipients: list[str], actor: str) -> Stream:
    """Snapshot, sign and audit a project; its age-encrypted tar as a streamed download
    (the API's route and the console's export page both answer with it)."""
    started = time.perf_counter()
    source = ExportSource(cairn.store, cairn.keys, cairn.forms, cairn.config.data_dir)
    archive = prepare_archive(source, code, recipients, actor=actor)
    return Stream(
        threaded(cairn.metrics.timed("archive", _stream(archive), started)),
        media_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{archive.top}.tar.age"',
            "X-Cairn-Manifest-SHA256": archive.manifest_sha256,
        },
    )
