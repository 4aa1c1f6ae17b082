"""The field web app in headless Chromium against the Python device, same server, same run.

Each round starts a fresh `cairn serve` (tests/e2e/harness.py) on a fresh data directory,
seeds it with RECORDS grave records from a Python device (not timed), then measures, with
the browser and the Python device taking turns (which goes first alternates by round):

- **pull**: a freshly enrolled device pulls the RECORDS records (sealed pages opened and
  verified, ops merged, committed: IndexedDB for the browser, SQLite for Python);
- **save an edit**: EDITS edits of one field of a record, each validated, merged and
  committed durably before it returns (IndexedDB `durability: "strict"`; SQLite); the
  median per edit;
- **push**: RECORDS new records (made first, not timed) sealed into batches and pushed
  until their receipts verified.

The browser's figures are measured in the page (`performance.now()` around the app's
own `dev.pull()`, `dev.patch()`, `dev.push()`), the Python device's with `perf_counter`
around `Device.pull()`, `edit()`, `push()`. Printed: every round, then the median of the
rounds and the ratio browser / Python.

    uv run python bench/field_app.py [--records 1000] [--edits 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync.client import Device  # noqa: E402
from tests.e2e.harness import ServerProcess, prepare  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def grave(prefix: str, i: int) -> dict[str, Any]:
    return {
        "site_code": prefix,
        "grave_no": i + 1,
        "legal_authority_ref": "Court order 1/2026",
        "grave_type": "individual",
        "deposition": "primary",
        "status": "excavating",
    }


def browser(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.set_script_timeout(600)
    return driver


def in_page(driver: Any, body: str, *args: Any) -> Any:
    """Run an async function body in the app's page (`dev` is the app's device)."""
    got = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const dev = window.cairnField.dev;"
        f"(async (...args) => {{ {body} }})(...Array.from(arguments).slice(0, -1))"
        ".then((v) => done({ok: v}), (e) => done({error: String(e && e.stack || e)}));",
        *args,
    )
    if "error" in got:
        raise RuntimeError(got["error"])
    return got["ok"]


def open_app(driver: Any, url: str) -> None:
    driver.get(url + "/field/")
    deadline = time.monotonic() + 30
    while driver.execute_script("return document.body.dataset.ready") != "1":
        if time.monotonic() > deadline:
            raise RuntimeError("the field app did not start")
        time.sleep(0.05)


# Where the browser's time goes: the app's IndexedDB commits, and its requests until the
# answer's bytes are in (the server's work and localhost); the rest is the core's crypto
# and merge in JavaScript.
SPLIT = (
    "const split = {idb: 0, net: 0}; const write = dev.db.write, fetcher = dev.fetcher;"
    "dev.db.write = async function (...a) { const t = performance.now();"
    "  try { return await write.apply(this, a); }"
    "  finally { split.idb += performance.now() - t; } };"
    "dev.fetcher = async (...a) => { const t = performance.now(); const r = await fetcher(...a);"
    "  const body = await r.arrayBuffer(); split.net += performance.now() - t;"
    "  return new Response(body, {status: r.status, headers: r.headers}); };"
    "const unsplit = () => { dev.db.write = write; dev.fetcher = fetcher; return split; };"
)


class BrowserDevice:
    def __init__(self, profile: Path, server: ServerProcess) -> None:
        self.parts: dict[str, dict[str, float]] = {}
        self.driver = browser(profile)
        open_app(self.driver, server.url)
        in_page(
            self.driver,
            "await dev.enroll(args[0], 'bench tablet'); await dev.refreshForms(); return 1;",
            server.enroll_code(),
        )

    def pull(self) -> tuple[float, int]:
        ms, n, parts = in_page(
            self.driver,
            SPLIT + "const t = performance.now(); await dev.pull();"
            "return [performance.now() - t, dev.records.size, unsplit()];",
        )
        self.parts["pull"] = parts
        return float(ms) / 1000, int(n)

    def edits(self, n: int) -> list[float]:
        times = in_page(
            self.driver,
            "const id = [...dev.records.keys()][0]; const out = [];"
            "for (let i = 0; i < args[0]; i++) {"
            "  const t = performance.now();"
            "  await dev.patch(id, {datum_description: `edit ${i}`});"
            "  out.push(performance.now() - t);"
            "}"
            "return out;",
            n,
        )
        return [t / 1000 for t in times]

    def push(self, records: int, prefix: str) -> float:
        in_page(
            self.driver,
            "for (let i = 0; i < args[0]; i++) await dev.create('site_grave', {"
            "  site_code: args[1], grave_no: i + 1, legal_authority_ref: 'Court order 1/2026',"
            "  grave_type: 'individual', deposition: 'primary', status: 'excavating'});"
            "return 1;",
            records,
            prefix,
        )
        ms, pending, parts = in_page(
            self.driver,
            SPLIT + "const t = performance.now(); await dev.push();"
            "return [performance.now() - t, dev.counts().pending, unsplit()];",
        )
        assert pending == 0, pending
        self.parts["push"] = parts
        return float(ms) / 1000

    def close(self) -> None:
        self.driver.quit()


class PythonDevice:
    def __init__(self, home: Path, server: ServerProcess) -> None:
        self.device = Device(home, sleep=lambda s: time.sleep(min(s, 0.2)))
        self.device.enroll(server.url, server.enroll_code(), label="bench python")

    def pull(self) -> tuple[float, int]:
        t0 = time.perf_counter()
        self.device.pull()
        return time.perf_counter() - t0, len(self.device.records())

    def edits(self, n: int) -> list[float]:
        record = self.device.records()[0].id
        out = []
        for i in range(n):
            t0 = time.perf_counter()
            self.device.edit(record, {"datum_description": f"edit {i}"})
            out.append(time.perf_counter() - t0)
        return out

    def push(self, records: int, prefix: str) -> float:
        for i in range(records):
            self.device.new("site_grave", grave(prefix, i))
        t0 = time.perf_counter()
        self.device.push()
        took = time.perf_counter() - t0
        assert self.device.status()["batches_awaiting_receipt"] == 0, self.device.status()
        return took

    def close(self) -> None:
        self.device.close()


def one_round(base: Path, n: int, records: int, edits: int) -> dict[str, dict[str, float]]:
    data = base / f"server-{n}"
    prepare(data)
    server = ServerProcess(data)
    server.start()
    out: dict[str, dict[str, float]] = {"browser": {}, "python": {}}
    try:
        seeder = Device(base / f"seeder-{n}", sleep=lambda s: time.sleep(min(s, 0.2)))
        seeder.enroll(server.url, server.enroll_code(), label="seeder")
        for i in range(records):
            seeder.new("site_grave", grave(f"SED-{n + 10}", i))
        seeder.push()
        seeder.close()
        devices: dict[str, Any] = {
            "browser": BrowserDevice(base / f"profile-{n}", server),
            "python": PythonDevice(base / f"python-{n}", server),
        }
        order = ["browser", "python"] if n % 2 == 0 else ["python", "browser"]
        try:
            for who in order:
                took, count = devices[who].pull()
                assert count == records, (who, count)
                out[who]["pull"] = took
            for who in order:
                out[who]["edit"] = statistics.median(devices[who].edits(edits))
            for who in order:
                out[who]["push"] = devices[who].push(records, f"{who[:2].upper()}-{n + 10}")
            for work, parts in devices["browser"].parts.items():
                out["browser"][f"{work}_idb"] = parts["idb"] / 1000
                out["browser"][f"{work}_net"] = parts["net"] / 1000
        finally:
            for d in devices.values():
                d.close()
    finally:
        server.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        sys.exit("needs Debian's chromium and chromium-driver (apt-get install chromium-driver)")
    rounds = []
    with tempfile.TemporaryDirectory(prefix="cairn-field-bench-") as tmp:
        for n in range(args.rounds):
            r = one_round(Path(tmp), n, args.records, args.edits)
            rounds.append(r)
            print(
                f"round {n + 1} ({'browser' if n % 2 == 0 else 'python'} first): "
                + ", ".join(
                    f"{who} pull {r[who]['pull']:.2f} s, edit {r[who]['edit'] * 1000:.1f} ms, "
                    f"push {r[who]['push']:.2f} s"
                    for who in ("browser", "python")
                ),
                flush=True,
            )
    print(f"\n{args.records} records, {args.edits} edits, median of {args.rounds} rounds:")
    for key, label, scale, unit in (
        ("edit", "save an edit", 1000, "ms"),
        ("push", f"push {args.records} records", 1, "s"),
        ("pull", f"pull {args.records} records", 1, "s"),
    ):
        b = statistics.median(r["browser"][key] for r in rounds)
        p = statistics.median(r["python"][key] for r in rounds)
        print(
            f"{label}: browser {b * scale:.2f} {unit}, python {p * scale:.2f} {unit}, "
            f"ratio browser/python {b / p:.2f}"
        )
    for key in ("push", "pull"):
        idb = statistics.median(r["browser"][f"{key}_idb"] for r in rounds)
        net = statistics.median(r["browser"][f"{key}_net"] for r in rounds)
        total = statistics.median(r["browser"][key] for r in rounds)
        print(
            f"browser {key}: IndexedDB commits {idb:.2f} s, requests {net:.2f} s, "
            f"the rest (crypto, merge, in JavaScript) {max(total - idb - net, 0):.2f} s"
        )


if __name__ == "__main__":
    main()
