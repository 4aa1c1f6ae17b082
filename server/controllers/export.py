"""Archive export over HTTP: an admin asks, the age-encrypted tar streams back."""

from __future__ import annotations

import time
from collections.abc import Iterator

import msgspec
from litestar import Controller, post
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from server.auth import Caller, require_admin
from server.context import Cairn
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

    @post("/{code:str}/exports", status_code=200, sync_to_thread=True)
    def export(
        self, code: FromPath[str], data: JSONBody[ExportRequest], cairn: Cairn, principal: Caller
    ) -> Stream:
        """Snapshot, sign and audit the project, then stream its age-encrypted tar."""
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
