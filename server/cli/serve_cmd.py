"""`cairn serve`: run the HTTP server on a data directory, creating it on first start."""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import socket
import sys
from typing import Any

import msgspec

from server import admin, runtime
from server.cli.common import add_data_option, data_dir
from server.config import Config, load_config
from server.datadir import DataDir
from server.logs import LOG_FORMATS


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `serve` command."""
    parser = sub.add_parser("serve", help="run the sync server")
    add_data_option(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        type=_proxy_addresses,
        metavar="IPS",
        help="reverse proxies (comma-separated addresses, or *) whose X-Forwarded-For names "
        "the client, for the failed-login limit and the logs; '' trusts none "
        "(default: 127.0.0.1, a proxy on this machine)",
    )
    parser.add_argument(
        "--tile-url",
        type=_tile_url,
        default=None,
        metavar="URL",
        help="map tiles for the console's maps, e.g. http://tiles.base.lan/{z}/{x}/{y}.png "
        "(default: none, a plain background and a scale: nothing leaves the field base)",
    )
    parser.add_argument(
        "--max-attachment-mib",
        type=_positive_mib,
        default=200,
        metavar="MIB",
        help="largest attachment a device may upload, in MiB (default 200); larger: 413",
    )
    parser.add_argument(
        "--no-group-commit",
        dest="group_commit",
        action="store_false",
        help="give every push its own durable commit instead of letting concurrent pushes "
        "share one (slower under load; for measuring and diagnosing)",
    )
    parser.add_argument(
        "--views-builder",
        choices=["process", "thread"],
        default="process",
        help="where a large push's records, identifiers and map index are built after its "
        "commit: a process of its own (default: the second core) or a thread of the server",
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="server processes sharing the listening socket and the data directory "
        "(default 1); more use more cores for many small pushes. Up to "
        f"{MAX_WORKERS}",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    parser.add_argument(
        "--log-format",
        default="text",
        choices=LOG_FORMATS,
        help="text (default) or json: one JSON object a line on standard error, each with the "
        "request id the answer carries as X-Request-ID; never a token, key, query string or "
        "field value",
    )
    parser.set_defaults(func=_serve)


MAX_WORKERS = 32


def _workers(text: str) -> int:
    """A whole number of worker processes, 1 to MAX_WORKERS."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of workers from 1 to {MAX_WORKERS}"
        )
    return int(text)


def _tile_url(text: str) -> str:
    """An http(s) tile URL template with {z}, {x} and {y}."""
    if not text.startswith(("http://", "https://")) or not all(
        part in text for part in ("{z}", "{x}", "{y}")
    ):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a tile URL: give http(s)://HOST/…/{{z}}/{{x}}/{{y}}.png"
        )
    return text


def _positive_mib(text: str) -> int:
    """A whole number of MiB, at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of MiB (1 or more)")
    return int(text)


def _proxy_addresses(text: str) -> str:
    """'' , '*' or comma-separated IP addresses or networks (e.g. 10.0.0.0/8)."""
    for item in (part.strip() for part in text.split(",") if part.strip()):
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)"
            ) from None
    return text


def _listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket first, so a busy port is found before anything is made."""
    from server.cli import CommandError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on accepted sockets whose
    # protocol says TCP. Without it Nagle holds each answer's body until the client acks
    # its headers, and a client on a kept-alive connection delays that ack ~40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CommandError(
                f"port {port} on {host} is already in use (another 'cairn serve' or another "
                "program); stop that one, or choose a free port with --port"
            ) from None
        raise CommandError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); check --host and --port"
        ) from None
    return sock


def server_url(host: str, port: int) -> str:
    """The URL devices use to reach a server listening on host:port."""
    if host in {"0.0.0.0", "::", ""}:
        host = socket.gethostname()  # every interface: name the machine, not 0.0.0.0
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _serve(args: argparse.Namespace) -> int:
    sock = _listen(args.host, args.port)
    try:
        with data_dir(args, create=True) as data:
            config = load_config(
                data.path,
                host=args.host,
                port=args.port,
                tile_url=args.tile_url,
                max_attachment_bytes=args.max_attachment_mib * 1024 * 1024,
                group_commit=args.group_commit,
                views_builder=args.views_builder,
            )
            if data.first_admin_token is not None:
                print(f"Created a new Cairn data directory at {data.path.resolve()}")
                print("Admin token (shown only this once; Cairn keeps only its hash):")
                print(f"  {data.first_admin_token.token}")
            else:
                print(f"Cairn data directory: {data.path.resolve()}")
            url = server_url(args.host, args.port)
            admin.record_server_url(data.store, url)
            listening = f"Listening on {url}  (console: /, API docs: /v1/docs, schema: /v1/schema)"
            if args.workers == 1:
                print(listening, flush=True)
                _run(args, config, data, sock)
                return 0
        # Several workers: each opens the directory this process brought up to date.
        return _supervise(args, config, data, sock, listening)
    finally:
        sock.close()


def _uvicorn_config(args: argparse.Namespace, app: Any) -> Any:
    import uvicorn

    from server.logs import uvicorn_log_config

    return uvicorn.Config(
        app,
        # httptools (the C HTTP parser uvicorn supports) reads an 8 MiB upload
        # chunk in well under half the time of the pure-Python h11.
        http="httptools",
        log_level=args.log_level,
        log_config=uvicorn_log_config(args.log_format, args.log_level),
        proxy_headers=bool(args.forwarded_allow_ips),
        forwarded_allow_ips=args.forwarded_allow_ips or None,
    )


def _run(args: argparse.Namespace, config: Config, data: DataDir, sock: socket.socket) -> None:
    import uvicorn

    from server.app import create_app

    app = create_app(config, data)
    uvicorn.Server(_uvicorn_config(args, app)).run(sockets=[sock])


def _worker(args: argparse.Namespace, config: Config, sock: socket.socket, supervisor: int) -> None:
    """One worker process of `cairn serve --workers N` (started with `spawn`)."""
    from server.datadir import attach_data_dir

    _stop_with(supervisor)
    _run(args, config, attach_data_dir(config.data_dir), sock)


def _stop_with(supervisor: int) -> None:
    """Have the kernel send this process SIGTERM when the supervisor dies, even by SIGKILL:
    a worker left behind would keep the port and the database open."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != supervisor:  # it died before the request took effect
        raise SystemExit(1)


def _supervise(
    args: argparse.Namespace, config: Config, data: DataDir, sock: socket.socket, listening: str
) -> int:
    """Start `args.workers` processes on the one listening socket and wait for them.

    They share the runtime directory (server/runtime.py): lockout, sessions, metrics and
    locks, and the one view builder, which this process runs (server.views). SIGTERM or
    SIGINT stops them all (each finishes its requests, as one server does); a worker or
    the builder that dies on its own stops the others too, and the exit status says so,
    for the service manager to restart the server whole."""
    import multiprocessing
    import multiprocessing.connection
    import signal

    from server.views import ViewBuilder

    root = runtime.create()
    # Read by prometheus_client when each worker imports it (multiprocess mode).
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(root / runtime.METRICS)
    config = msgspec.structs.replace(config, runtime_dir=root)
    builder = ViewBuilder(data.store, data.forms, config.views_builder, root / runtime.VIEWS_WAKE)
    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(
            target=_worker, args=(args, config, sock, os.getpid()), name=f"cairn-worker-{i + 1}"
        )
        for i in range(args.workers)
    ]
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for proc in workers:
            if proc.pid is not None and proc.exitcode is None:
                os.kill(proc.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        builder.start()
        for proc in workers:
            proc.start()
        print(f"{listening}  [{args.workers} worker processes]", flush=True)
        status = 0
        while any(proc.exitcode is None for proc in workers):
            multiprocessing.connection.wait(
                [p.sentinel for p in workers if p.exitcode is None], timeout=1.0
            )
            dead = [p for p in workers if p.exitcode not in (None, 0)]
            gone = None if builder.running else "the view builder stopped"
            if dead:
                gone = f"{dead[0].name} stopped with status {dead[0].exitcode}"
            if gone and not stopping:
                print(f"cairn serve: {gone}; stopping the workers", file=sys.stderr, flush=True)
                status = 1
                stop(signal.SIGTERM, None)
        for proc in workers:
            proc.join()
        return status
    finally:
        for proc in workers:
            if proc.exitcode is None and proc.pid is not None:
                proc.kill()
                proc.join()
        builder.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        runtime.remove(root)
