"""`cairn serve`: run the HTTP server on a data directory, creating it on first start."""

from __future__ import annotations

import argparse
import ipaddress

from server.cli.common import add_data_option, data_dir
from server.config import load_config


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
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    parser.set_defaults(func=_serve)


def _tile_url(text: str) -> str:
    """An http(s) tile URL template with {z}, {x} and {y}."""
    if not text.startswith(("http://", "https://")) or not all(
        part in text for part in ("{z}", "{x}", "{y}")
    ):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a tile URL: give http(s)://HOST/…/{{z}}/{{x}}/{{y}}.png"
        )
    return text


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


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app
    from server.logs import uvicorn_log_config

    with data_dir(args, create=True) as data:
        config = load_config(data.path, host=args.host, port=args.port, tile_url=args.tile_url)
        if data.first_admin_token is not None:
            print(f"Created a new Cairn data directory at {data.path.resolve()}")
            print("Admin token (shown only this once; Cairn keeps only its hash):")
            print(f"  {data.first_admin_token.token}")
        else:
            print(f"Cairn data directory: {data.path.resolve()}")
        print(
            f"Listening on http://{args.host}:{args.port}  (console: /, API docs: /v1/schema)",
            flush=True,
        )
        app = create_app(config, data)
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            log_config=uvicorn_log_config(),
            proxy_headers=bool(args.forwarded_allow_ips),
            forwarded_allow_ips=args.forwarded_allow_ips or None,
        )
    return 0
