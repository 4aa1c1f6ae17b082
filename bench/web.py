"""Console pages against the JSON API answering the same query, in the same run.

Run: ``uv run python bench/web.py [--records 100000] [--rounds 30]``.

- build: `bench/export.py`'s builder stores synthetic graves (a create and three edits
  each) through the real ingest path.
- measure, in one process through Litestar's test client (server time, no network):
  the review queue (`GET /p/{code}/records`, 50 records, oldest change first) against
  `GET /v1/projects/{code}/records?limit=50`; the same with a text filter (`q=`); and a
  record page (`GET /r/{id}`) against `GET /v1/records/{id}`. Requests alternate page and
  API, and the medians are compared.

Prints each median in ms and the ratio page/API (target: within 1.5, DESIGN.md).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from litestar.testing import TestClient

from bench.export import PROJECT, Builder
from server import admin
from server.app import create_app
from server.config import load_config


def _median_ms(call: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    """Build the project, then time page against API, alternating."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        builder = Builder(Path(tmp))
        builder.grow(args.records * 4)
        data = builder.data
        token = admin.issue_token(data.store, "supervisor", PROJECT, "bench").token
        app = create_app(load_config(data.path), data)
        with TestClient(app, base_url="http://bench.local") as client:
            page = client.get("/login")
            nonce = page.text.split('name="nonce" value="')[1].split('"')[0]
            client.post("/login", data={"nonce": nonce, "token": token}, follow_redirects=False)
            api = {"Authorization": f"Bearer {token}"}
            first = client.get(f"/v1/projects/{PROJECT}/records?limit=50", headers=api).json()
            record_id = first["items"][25]["record_id"]
            code = first["items"][25]["identifier"][:5]
            pairs = [
                (
                    "queue, 50 records",
                    f"/p/{PROJECT}/records?order=oldest",
                    f"/v1/projects/{PROJECT}/records?limit=50",
                ),
                (
                    f"queue, q={code}",
                    f"/p/{PROJECT}/records?order=oldest&q={code}",
                    f"/v1/projects/{PROJECT}/records?limit=50&q={code}",
                ),
                ("record page", f"/r/{record_id}", f"/v1/records/{record_id}"),
            ]
            print(f"project: {args.records:,} records, {builder.ops:,} ops")
            for name, page_url, api_url in pairs:
                for url, headers in ((page_url, {}), (api_url, api)):  # warm up, check
                    answer = client.get(url, headers=headers, follow_redirects=False)
                    assert answer.status_code == 200, (url, answer.status_code)
                    print(f"  {url[:60]:<60} {len(answer.content):>8,} bytes")
                pages: list[float] = []
                apis: list[float] = []
                for _ in range(args.rounds):
                    pages += _median_ms(lambda u=page_url: client.get(u), 1)
                    apis += _median_ms(lambda u=api_url: client.get(u, headers=api), 1)
                p, a = statistics.median(pages), statistics.median(apis)
                print(f"{name:<22} page {p:7.1f} ms   API {a:7.1f} ms   ratio {p / a:4.2f}")


if __name__ == "__main__":
    main()
