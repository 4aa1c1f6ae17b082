"""`cairn demo`: a server with a demo project and three simulated field teams."""

from __future__ import annotations

import argparse
from pathlib import Path

from server.cli.common import data_dir
from server.demo import PROJECT, run_demo

DEMO_DATA = "cairn-demo"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` command."""
    parser = sub.add_parser("demo", help="run a server with three simulated field teams")
    parser.add_argument(
        "--data",
        metavar="DIR",
        default=DEMO_DATA,
        help=f"a new directory for the demo's data (default: ./{DEMO_DATA}); one that "
        "exists is refused, so a demo never mixes with other data",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--exit", action="store_true", help="stop once the scenario has run (do not keep serving)"
    )
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from server.cli import CommandError

    path = Path(args.data)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise CommandError(
            f"{path} already exists (an earlier demo, or other data); the demo starts from "
            f"nothing: remove it (rm -r {path}) or choose a new directory with --data"
        )
    with data_dir(args, create=True) as data:
        summary = run_demo(data, args.host, args.port, print, keep_serving=False)
        print()
        print(f"demo data directory: {data.path.resolve()}")
        print(f"records: {summary.records}, open conflicts: {summary.conflicts}")
        for line in summary.duplicates:
            print(f"duplicate identifier: {line}")
        for line in summary.stratigraphy:
            print(f"Harris matrix: {line}")
        print()
        print("A supervisor can look with this token:")
        print(f"  export TOKEN={summary.supervisor_token}")
        base = f"http://{args.host}:{args.port}/v1"
        if args.exit:
            print("The demo server has stopped; to look, start one on the demo data first:")
            print(f"  cairn serve --data {data.path} --port {args.port}")
        print(f'  curl -H "Authorization: Bearer $TOKEN" {base}/projects/{PROJECT}/records')
        print(f'  curl -H "Authorization: Bearer $TOKEN" {base}/projects/{PROJECT}/conflicts')
        print(f'  curl -H "Authorization: Bearer $TOKEN" {base}/projects/{PROJECT}/stratigraphy')
        print(f"  API schema: {base}/schema")
        if not args.exit:
            print(f"\nserving on http://{args.host}:{args.port}; Ctrl-C to stop")
            import uvicorn

            from server.app import create_app
            from server.config import load_config

            config = load_config(data.path, host=args.host, port=args.port)
            uvicorn.run(
                create_app(config, data), host=args.host, port=args.port, log_level="warning"
            )
    return 0
