"""The field web app (/field/) in real Chromium against a real `cairn serve`.

A person enrolls the browser with a one-time code, goes offline (DevTools network
emulation, and the server itself stopped), records a grave with a GPS fix (geolocation
override), a body with a skeletal inventory and a sample with custody and a photo, keeps
a draft, reloads and restarts the browser offline — nothing is lost — and comes back
online: everything is pushed with receipts the app verified. Screens are 360 px wide
(device metrics override); a screenshot of each is saved, and axe-core must find no
serious or critical violation on any of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from PIL import Image

from forms.library import builtin_library
from forms.validate import validate
from server.datadir import open_data_dir
from server.store.sync_tables import get_record
from sync.canonical import record_sha256
from sync.client import Device
from sync.record import Record
from tests.browser.conftest import CHROMIUM, DRIVER, artifacts
from tests.browser.test_console import _token, axe
from tests.e2e.harness import PROJECT, ServerProcess, prepare

WIDTH = 360


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "server"
    prepare(data)
    proc = ServerProcess(data)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


class Phone:
    """A headless Chromium on one profile directory, shown as a 360-px-wide phone; it can
    be quit and started again on the same profile (the browser restarting)."""

    def __init__(self, profile: Path) -> None:
        if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
            if os.environ.get("CI"):
                pytest.fail("chromium and chromium-driver are missing; .ci/run installs them")
            pytest.skip("needs Debian's chromium and chromium-driver")
        self.profile = profile
        self.driver: Any = None
        self.offline = False

    def start(self) -> Any:
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
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--window-size=800,1000",
            f"--user-data-dir={self.profile}",
        ):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
        self.driver.set_page_load_timeout(30)
        self.driver.set_script_timeout(60)
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": 780, "deviceScaleFactor": 1, "mobile": True},
        )
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.set_offline(self.offline)
        return self.driver

    def quit(self) -> None:
        if self.driver is not None:
            self.driver.quit()
            self.driver = None

    def set_offline(self, offline: bool) -> None:
        self.offline = offline
        self.driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )

    def grant_gps(self, origin: str, lat: float, lon: float, accuracy: float) -> None:
        self.driver.execute_cdp_cmd(
            "Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]}
        )
        self.driver.execute_cdp_cmd(
            "Emulation.setGeolocationOverride",
            {"latitude": lat, "longitude": lon, "accuracy": accuracy},
        )


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[Phone]:
    p = Phone(tmp_path / "chromium-profile")
    p.start()
    try:
        yield p
    finally:
        p.quit()


def until(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    """Poll (bounded) until `check` returns something true."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # the page may be between screens
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


VIOLATIONS: dict[str, list[dict[str, Any]]] = {}


def shot(driver: Any, name: str) -> Path:
    """A full-length screenshot of the current screen at 360 px, and its axe-core check."""
    path = artifacts() / f"field-{name}.png"
    driver.execute_script("window.scrollTo(0, 0)")
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    result = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WIDTH, "height": min(height, 6000), "scale": 1},
        },
    )
    import base64

    path.write_bytes(base64.b64decode(result["data"]))
    found = axe(driver)
    if found:
        VIOLATIONS[name] = found
    return path


def by(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css)


def all_by(driver: Any, css: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, css))


def press(el: Any) -> None:
    """Click as a finger would: scrolled to the middle (clear of the sticky status bar)."""
    el.parent.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    el.click()


def field(driver: Any, name: str, scope: str = "") -> Any:
    return by(driver, f"{scope} [data-field='{name}'] input, {scope} [data-field='{name}'] select")


def fill(driver: Any, values: dict[str, Any], scope: str = "") -> None:
    """Type values into the widgets of fields by name (selects by value, checkboxes)."""
    from selenium.webdriver.support.ui import Select

    for name, value in values.items():
        el = field(driver, name, scope)
        if el.tag_name == "select":
            Select(el).select_by_value(str(value).lower() if isinstance(value, bool) else value)
        elif el.get_attribute("type") == "checkbox":
            for choice in value:
                press(by(driver, f"{scope} [data-field='{name}'] input[value='{choice}']"))
        elif el.get_attribute("type") == "datetime-local":
            driver.execute_script(
                "arguments[0].value = arguments[1];"
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
                el,
                value,
            )
        else:
            el.clear()
            el.send_keys(str(value))


def saved_record_id(driver: Any) -> str:
    until(lambda: "#/record/" in driver.current_url, "the saved record's page")
    return str(driver.current_url.split("#/record/")[1])


def app(driver: Any) -> Any:
    until(lambda: driver.execute_script("return document.body.dataset.ready") == "1", "the app")
    return driver


def counts(driver: Any) -> dict[str, int]:
    out = {}
    for el in all_by(driver, "#counts [data-count]"):
        out[el.get_attribute("data-count")] = int(el.text.split()[-1])
    return out


def enroll(phone: Phone, server: ServerProcess, label: str = "Tablet 3") -> None:
    d = phone.driver
    d.get(server.url + "/field/")
    app(d)
    until(lambda: by(d, "#code"), "the enrollment screen")
    shot(d, "01-enroll")
    by(d, "#code").send_keys(server.enroll_code())
    by(d, "#label").send_keys(label)
    press(by(d, "#enroll"))
    until(lambda: all_by(d, "[data-form]"), "the record list after enrollment")


def record_grave(phone: Phone, server: ServerProcess) -> str:
    d = phone.driver
    phone.grant_gps(server.url, 40.123456, 46.901234, 3.0)
    press(by(d, "[data-form='site_grave']"))
    until(lambda: by(d, "#save"), "the grave form")
    fill(
        d,
        {
            "site_code": "DSH-01",
            "grave_no": "7",
            "legal_authority_ref": "Court order 17/2026",
            "grave_type": "mass",
            "deposition": "primary",
            "status": "excavating",
        },
    )
    # A bad value first: refused before saving with the server's own message.
    fill(d, {"length_m": "long"})
    expected = server_message("site_grave", {"length_m": "long"})
    until(
        lambda: by(d, "[data-field='length_m'] .problem").text == expected,
        "the server's validation message",
    )
    fill(d, {"length_m": "3.5"})
    press(by(d, "[data-field='datum_point'] button"))  # Start GPS: 3 m is better than 5 m
    until(lambda: "Position recorded" in by(d, "[data-field='datum_point'] .ok").text, "a GPS fix")
    shot(d, "02-new-grave")
    press(by(d, "#save"))
    rid = saved_record_id(d)
    shot(d, "03-grave")
    return rid


BODY = {
    "body_no": "DSH-01-G7-B001",
    "remains_category": "articulated_body",
    "context_no": "3",
    "condition": "skeletonised",
    "articulation": "full",
    "lifted_by": "A. Aliyev",
    "lifted_at": "2026-05-02T10:15:00",
    "body_bag_no": "BAG-0017",
    "seal_no": "S-000123",
}


def record_body(phone: Phone) -> str:
    d = phone.driver
    d.get(d.current_url.split("#")[0] + "#/new/human_remains")
    until(lambda: by(d, "#save"), "the body form")
    fill(d, BODY)
    press(by(d, "[data-field='location'] button"))
    until(lambda: "Position recorded" in by(d, "[data-field='location'] .ok").text, "a GPS fix")
    fill(d, {"location": None} if False else {})
    for axis, v in (("x", "1.5"), ("y", "2.25"), ("z", "-0.8")):
        by(d, f"[data-field='location'] input[id$='-{axis}']").send_keys(v)
    for i, (element, side, code) in enumerate((("femur", "left", "1"), ("skull", "na", "2"))):
        press(by(d, "[data-add='inventory']"))
        scope = f"[data-item='inventory-{i}']"
        until(lambda scope=scope: by(d, scope), "an inventory row")
        choices = [
            o.get_attribute("value")
            for o in all_by(d, f"{scope} [data-field='element'] option")
            if o.get_attribute("value")
        ]
        sides = [
            o.get_attribute("value")
            for o in all_by(d, f"{scope} [data-field='side'] option")
            if o.get_attribute("value")
        ]
        fill(
            d,
            {
                "element": element if element in choices else choices[i],
                "side": side if side in sides else sides[0],
                "code": code,
            },
            scope,
        )
    shot(d, "04-new-body")
    press(by(d, "#save"))
    return saved_record_id(d)


def server_message(form: str, values: dict[str, Any]) -> str:
    """What the server's validation says of these values (the one problem they have)."""
    [problem] = validate(builtin_library().resolve(form), values, partial=True)
    return problem.message


def png(path: Path) -> Path:
    Image.new("RGB", (64, 48), (200, 30, 30)).save(path)
    return path


def record_sample(phone: Phone, photo: Path) -> str:
    d = phone.driver
    d.get(d.current_url.split("#")[0] + "#/new/dna_sample")
    until(lambda: by(d, "#save"), "the sample form")
    fill(
        d,
        {
            "sample_id": "DSH-01-G7-B001-S1",
            "body_no": "DSH-01-G7-B001",
            "sample_type": "bone",
            "element": "femur",
            "collected_by": "A. Aliyev",
            "witness": "B. Mammadov",
            "collected_at": "2026-05-02T11:00:00",
            "packaging": "paper_envelope",
            "storage_temp": "ambient",
            "seal_no": "S-000124",
        },
    )
    press(by(d, "[data-add='custody']"))
    scope = "[data-item='custody-0']"
    until(lambda: by(d, scope), "a custody row")
    fill(
        d,
        {
            "seq": "1",
            "released_by": "A. Aliyev",
            "received_by": "C. Evidence",
            "at": "2026-05-02T12:00:00",
            "purpose": "transport to the lab",
            "seal_intact": True,
        },
        scope,
    )
    by(d, f"{scope} [data-field='signature'] input[type=file]").send_keys(str(photo))
    until(lambda: by(d, f"{scope} img.thumb"), "the photo preview")
    shot(d, "05-new-sample")
    press(by(d, "#save"))
    return saved_record_id(d)


def home(d: Any) -> None:
    d.get(d.current_url.split("#")[0] + "#/")
    until(lambda: all_by(d, "#records"), "the record list")


def listed(d: Any) -> list[str]:
    return [a.get_attribute("data-record") for a in all_by(d, "#records a[data-record]")]


def test_record_offline_for_days_then_sync(
    tmp_path: Path, server: ServerProcess, phone: Phone
) -> None:
    d = phone.driver
    enroll(phone, server)
    shot(d, "06-records-empty")
    # Offline from here on: DevTools network emulation, and the server is stopped.
    phone.set_offline(True)
    server.stop()
    grave = record_grave(phone, server)
    body = record_body(phone)
    sample = record_sample(phone, png(tmp_path / "seal.png"))
    home(d)
    assert set(listed(d)) == {grave, body, sample}
    assert counts(d)["pending"] == 6  # grave; body + 2 inventory rows; sample + custody row

    # Search by a human identifier; a draft; a local duplicate warning.
    by(d, "#search").send_keys("g7-b001-s1")
    until(lambda: listed(d) == [sample], "the search result")
    shot(d, "07-search")
    d.get(d.current_url.split("#")[0] + "#/new/human_remains")
    until(lambda: by(d, "#save"), "the body form")
    fill(d, {"body_no": "dsh-01-g7-b001 ", "seal_no": "S-000999"})
    until(lambda: "already used" in by(d, "#duplicates").text, "a duplicate warning")
    shot(d, "08-duplicate")
    press(by(d, "#keep-draft"))
    until(lambda: all_by(d, "#drafts a"), "the draft in the list")
    shot(d, "09-drafts")

    # Reload, then restart the browser, all offline: nothing lost.
    d.refresh()
    app(d)
    until(lambda: set(listed(d)) == {grave, body, sample}, "the records after a reload")
    phone.quit()
    d = phone.start()
    d.get(server.url + "/field/")
    app(d)
    until(lambda: set(listed(d)) == {grave, body, sample}, "the records after a restart")
    assert all_by(d, "#drafts a")
    d.get(server.url + f"/field/#/record/{body}")
    until(lambda: all_by(d, "[data-group='inventory'] [data-item]"), "the body's inventory")
    shot(d, "10-body-offline")
    # The fixed location is locked once written.
    assert by(d, "[data-field='location'] button").get_attribute("disabled") is not None

    # Online again: everything goes with receipts the app verified.
    server.start()
    phone.set_offline(False)
    d.execute_script("window.dispatchEvent(new Event('online'))")
    until(lambda: counts(d).get("pending") == 0 and counts(d).get("files", 0) == 0, "the push")
    d.get(server.url + "/field/#/sync")
    until(lambda: by(d, "#sync"), "the sync screen")
    shot(d, "11-sync")
    token = _token(server)
    with httpx.Client(
        base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=10
    ) as http:
        got = http.get(f"/v1/records/{body}").json()["record"]
        assert got["values"]["body_no"] == BODY["body_no"]
        assert got["values"]["location"]["z"] == -0.8
        assert len(got["items"]["inventory"]) == 2
        point = http.get(f"/v1/records/{grave}").json()["record"]["values"]["datum_point"]
        assert abs(point["lat"] - 40.123456) < 1e-9 and point["h_acc_m"] == 3.0
        assert point["source"] == "phone" and point["fix_time_utc"].endswith("Z")
        files = http.get(f"/v1/records/{sample}").json()["attachments"]
        photo = (tmp_path / "seal.png").read_bytes()
        assert [(f["sha256"], f["received"]) for f in files] == [
            (hashlib.sha256(photo).hexdigest(), True)
        ]
    data = open_data_dir(server.data, create=False)
    try:
        conn = data.store.reader()
        batches = conn.execute("SELECT count(*) FROM batches").fetchone()[0]
        assert batches >= 1
    finally:
        data.store.close()
    assert not VIOLATIONS, json.dumps(VIOLATIONS, indent=1)[:4000]


def record_sha_in_browser(d: Any, record_id: str) -> str:
    return str(d.execute_script("return window.cairnField.recordSha256(arguments[0])", record_id))


def server_record_sha(server: ServerProcess, record_id: str) -> str:
    data = open_data_dir(server.data, create=False)
    try:
        row = get_record(data.store.reader(), PROJECT, record_id)
        assert row is not None
        return record_sha256(msgspec.msgpack.decode(row.state, type=Record))
    finally:
        data.store.close()


def sync_in_browser(d: Any) -> None:
    d.execute_script("window.dispatchEvent(new Event('online'))")
    until(lambda: counts(d).get("pending") == 0, "the push")
    d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.cairnField.syncNow().then(() => done(1), (e) => done(String(e)))"
    )


def test_concurrent_edits_converge_and_a_supervisor_decision_reaches_the_app(
    tmp_path: Path, server: ServerProcess, phone: Phone
) -> None:
    d = phone.driver
    python = Device(tmp_path / "python-device", sleep=lambda s: time.sleep(min(s, 0.2)))
    python.enroll(server.url, server.enroll_code(), label="tablet-py")
    enroll(phone, server, "Tablet 3")
    phone.grant_gps(server.url, 40.1, 46.9, 2.0)
    body = record_body(phone)
    sync_in_browser(d)

    # The Python device and the browser (offline) change the same field concurrently.
    python.pull()
    python.edit(body, {"condition": "burnt"})
    python.push()
    phone.set_offline(True)
    d.get(server.url + f"/field/#/record/{body}")
    until(lambda: by(d, "#save"), "the record page")
    fill(d, {"condition": "mixed"})
    press(by(d, "#save"))
    until(lambda: counts(d).get("pending") == 1, "the saved edit")
    phone.set_offline(False)
    sync_in_browser(d)
    python.pull()

    # Both replicas and the server hold the same record, byte for byte, with the conflict.
    d.get(server.url + f"/field/#/record/{body}")
    conflict = until(lambda: by(d, "#conflicts"), "the conflict on the record page")
    assert "condition" in conflict.text
    assert "burnt — by tablet-py" in conflict.text
    assert "mixed — by Tablet 3 (this device)" in conflict.text
    shot(d, "12-conflict")
    mine = record_sha_in_browser(d, body)
    assert mine == record_sha256(python.record(body)) == server_record_sha(server, body)

    # A supervisor decides in the console (same browser, another page of the server).
    from tests.browser.test_console import click_through, sign_in

    d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})  # the console: a desktop
    sign_in(d, server, _token(server))
    d.get(server.url + f"/r/{body}")
    card = by(d, "form.conflict-card")
    side = next(s for s in all_by(d, "form.conflict-card label.side-card") if "burnt" in s.text)
    side.find_element("css selector", "input[type=radio]").click()
    card.find_element("name", "reason").send_keys("photo P-0042 shows charring")
    click_through(d, card.find_element("css selector", "button[type=submit]"))
    from selenium.webdriver.support.ui import Select

    Select(by(d, "select[name=state]")).select_by_value("approved")
    by(d, "textarea[name=comment], input[name=comment]").send_keys("checked on site")
    click_through(d, by(d, "#review form button"))

    # The app pulls the decision and the review, and shows them.
    d.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": 780, "deviceScaleFactor": 1, "mobile": True},
    )
    d.get(server.url + f"/field/#/record/{body}")
    app(d)
    sync_in_browser(d)
    d.get(server.url + f"/field/#/record/{body}")
    decisions = until(lambda: by(d, "#decisions"), "the supervisor's decision")
    assert "photo P-0042 shows charring" in decisions.text and "burnt" in decisions.text
    assert "approved" in by(d, "#review").text and "checked on site" in by(d, "#review").text
    assert not all_by(d, "#conflicts")
    assert field(d, "condition").get_attribute("value") == "burnt"
    shot(d, "13-resolved")
    python.pull()
    assert record_sha_in_browser(d, body) == record_sha256(python.record(body))
    assert record_sha_in_browser(d, body) == server_record_sha(server, body)
    python.close()
    assert not VIOLATIONS, json.dumps(VIOLATIONS, indent=1)[:4000]


class TamperingProxy:
    """A proxy in front of `cairn serve` (the app's origin) that can flip the last byte of
    the answers to chosen routes: a receipt or a pull page altered on the way."""

    def __init__(self, upstream: str) -> None:
        import http.server
        import threading

        self.tamper: set[str] = set()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
                }
                got = httpx.request(
                    self.command, upstream + self.path, content=body, headers=headers, timeout=30
                )
                content = got.content
                if self.path.split("?")[0] in proxy.tamper and content:
                    content = content[:-1] + bytes([content[-1] ^ 1])
                self.send_response(got.status_code)
                for k, v in got.headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def sync_result(d: Any) -> str:
    return str(
        d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.cairnField.syncNow().then(() => done('ok'), (e) => done(e.message))"
        )
    )


def test_a_tampered_receipt_or_pull_page_is_an_error_and_never_merged(
    tmp_path: Path, server: ServerProcess, phone: Phone
) -> None:
    proxy = TamperingProxy(server.url)
    try:
        d = phone.driver
        target = type("Target", (), {"url": proxy.url, "enroll_code": server.enroll_code})()
        enroll(phone, target)  # type: ignore[arg-type]
        proxy.tamper = {"/v1/device/batches"}
        phone.set_offline(True)  # saved first, sent on demand below
        grave = record_grave(phone, target)  # type: ignore[arg-type]
        phone.set_offline(False)
        answer = sync_result(d)
        assert "receipt does not verify" in answer, answer
        assert counts(d)["pending"] == 1  # not marked delivered: sent again later
        proxy.tamper = set()
        assert sync_result(d) == "ok"
        until(lambda: counts(d)["pending"] == 0, "the push once receipts verify")

        python = Device(tmp_path / "python-device", sleep=lambda s: time.sleep(min(s, 0.2)))
        python.enroll(server.url, server.enroll_code(), label="tablet-py")
        python.pull()
        python.edit(grave, {"status": "closed"})
        python.push()
        proxy.tamper = {"/v1/device/pull"}
        cursor = d.execute_script("return window.cairnField.dev.meta.get('cursor')")
        answer = sync_result(d)
        assert "does not verify" in answer and "Nothing of it was used" in answer, answer
        state = (
            "const dev = window.cairnField.dev;return dev.value(dev.record(arguments[0]), 'status')"
        )
        assert d.execute_script(state, grave) == "excavating"
        assert d.execute_script("return window.cairnField.dev.meta.get('cursor')") == cursor
        proxy.tamper = set()
        assert sync_result(d) == "ok"
        assert d.execute_script(state, grave) == "closed"
        python.close()
    finally:
        proxy.close()


READ_META = """
const done = arguments[arguments.length - 1];
const r = indexedDB.open("cairn-field");
r.onerror = () => done({error: String(r.error)});
r.onsuccess = () => {
  const s = r.result.transaction("meta").objectStore("meta");
  const keys = s.getAllKeys();
  const k = s.get("device_keys");
  k.onsuccess = async () => {
    const v = k.result;
    const out = {keys: keys.result.map(String), stored: !!v};
    if (v) {
      const held = (k, other) => k instanceof CryptoKey
        ? {type: k.algorithm.name, extractable: k.extractable} : other;
      out.signing = held(v.signing, "bytes");
      out.age = held(v.age, "text");
      try {
        await crypto.subtle.exportKey("pkcs8", v.signing);
        out.exported = true;
      } catch (e) {
        out.exported = false;
      }
    }
    r.result.close();
    done(out);
  };
};
"""

WRITE_META = """
const [entries, done] = [arguments[0], arguments[arguments.length - 1]];
const r = indexedDB.open("cairn-field");
r.onerror = () => done(String(r.error));
r.onsuccess = () => {
  const tx = r.result.transaction("meta", "readwrite", {durability: "strict"});
  for (const [k, v, bytes] of entries) {
    tx.objectStore("meta").put(bytes ? Uint8Array.from(v) : v, k);
  }
  tx.oncomplete = () => { r.result.close(); done("ok"); };
  tx.onerror = () => done(String(tx.error));
};
"""


def test_keys_are_non_extractable_crypto_keys_in_indexeddb(
    server: ServerProcess, phone: Phone
) -> None:
    d = phone.driver
    enroll(phone, server)
    got = d.execute_async_script(READ_META)
    assert got["signing"] == {"type": "Ed25519", "extractable": False}, got
    assert got["age"] == {"type": "X25519", "extractable": False}, got
    assert got["exported"] is False  # script cannot read the private key's bytes
    assert "signing_seed" not in got["keys"] and "age_identity" not in got["keys"]
    # After a browser restart the stored CryptoKeys still sign and decrypt: a sync works.
    phone.quit()
    d = phone.start()
    d.get(server.url + "/field/")
    app(d)
    assert sync_result(d) == "ok"
    assert d.execute_script("return window.cairnField.dev.keysExtractable") is False


def test_a_home_of_the_first_sealing_adapter_is_migrated_and_keeps_working(
    tmp_path: Path, server: ServerProcess, phone: Phone
) -> None:
    """A device home written by the app's first adapter (raw Ed25519 seed and age identity
    text in IndexedDB) is moved to non-extractable CryptoKeys on open; it still signs as the
    enrolled device and opens the pull pages sealed to its enrolled age recipient."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync.age import generate_x25519
    from sync.wire import EnrollRequest, EnrollResponse

    signing = Ed25519PrivateKey.generate()
    seed = signing.private_bytes_raw()
    public = signing.public_key().public_bytes_raw()
    identity = generate_x25519()
    request = EnrollRequest(
        code=server.enroll_code(),
        signing_public=public,
        encryption_recipient=str(identity.recipient()),
        label="old tablet",
    )
    answer = httpx.post(
        server.url + "/v1/device/enroll",
        content=msgspec.msgpack.encode(request),
        headers={"content-type": "application/msgpack"},
        timeout=10,
    )
    assert answer.status_code in (200, 201), answer.text
    e = msgspec.msgpack.decode(answer.content, type=EnrollResponse)
    d = phone.driver
    d.get(server.url + "/field/")
    app(d)
    until(lambda: by(d, "#code"), "the enrollment screen")
    old = [  # exactly what the first adapter's enroll() stored
        ("device_id", e.device_id, False),
        ("project", e.project, False),
        ("label", "old tablet", False),
        ("server_url", server.url, False),
        ("server_signing_public", list(e.server_signing_public), True),
        ("server_signing_key_id", e.server_signing_key_id, False),
        ("batch_recipient", e.batch_recipient, False),
        ("batch_key_id", e.batch_key_id, False),
        ("signing_seed", list(seed), True),
        ("signing_public", list(public), True),
        ("age_identity", identity.export_secret(), False),
        ("counter", 0, False),
        ("cursor", 0, False),
        ("seq", 0, False),
        ("clock_offset_ms", 0, False),
    ]
    assert d.execute_async_script(WRITE_META, old) == "ok"
    d.refresh()
    app(d)
    until(lambda: all_by(d, "[data-form]"), "the record list of the old home")
    got = d.execute_async_script(READ_META)
    assert got["signing"] == {"type": "Ed25519", "extractable": False}, got
    assert got["age"] == {"type": "X25519", "extractable": False}, got
    assert "signing_seed" not in got["keys"] and "age_identity" not in got["keys"], got

    # A Python device records; the old home pulls it (decrypted with the migrated X25519
    # key, the request signed with the migrated Ed25519 key), edits it and pushes.
    python = Device(tmp_path / "python-device", sleep=lambda s: time.sleep(min(s, 0.2)))
    python.enroll(server.url, server.enroll_code(), label="tablet-py")
    grave = python.new(
        "site_grave",
        {
            "site_code": "DSH-02",
            "grave_no": 1,
            "legal_authority_ref": "Court order 18/2026",
            "grave_type": "individual",
            "deposition": "primary",
            "status": "excavating",
        },
    )
    python.push()
    assert sync_result(d) == "ok"
    d.get(server.url + f"/field/#/record/{grave}")
    until(lambda: by(d, "#save"), "the pulled record")
    fill(d, {"status": "closed"})
    press(by(d, "#save"))
    until(lambda: counts(d).get("pending") == 0 and counts(d).get("delivered") == 1, "the push")
    python.pull()
    assert python.view(grave).values["status"] == "closed"
    python.close()


def test_pulled_ops_are_kept_as_the_servers_exact_bytes(
    tmp_path: Path, server: ServerProcess, phone: Phone
) -> None:
    d = phone.driver
    python = Device(tmp_path / "python-device", sleep=lambda s: time.sleep(min(s, 0.2)))
    python.enroll(server.url, server.enroll_code(), label="tablet-py")
    grave = python.new(
        "site_grave",
        {
            "site_code": "DSH-03",
            "grave_no": 2,
            "legal_authority_ref": "Court order 19/2026",
            "grave_type": "individual",
            "deposition": "primary",
            "status": "excavating",
            "length_m": 2.0,
        },
    )
    python.edit(grave, {"length_m": 2.5, "datum_description": "ünïcode peg"})
    python.push()
    enroll(phone, server)
    assert sync_result(d) == "ok"
    kept = d.execute_script(
        "return [...window.cairnField.dev.ops.values()].filter((r) => r.origin === 'pulled')"
        ".map((r) => [r.actor, r.counter, Array.from(r.blob)])"
    )
    data = open_data_dir(server.data, create=False)
    try:
        rows = data.store.reader().execute("SELECT actor, counter, op FROM ops").fetchall()
    finally:
        data.store.close()
    assert len(kept) == len(rows) == 2
    stored = {(a, c): bytes(op) for a, c, op in rows}
    for actor, counter, blob in kept:
        assert bytes(blob) == stored[(actor, counter)]
    python.close()


def item_rows(d: Any) -> list[Any]:
    return all_by(d, "[data-group='inventory'] .item[data-item]")


def test_edit_and_remove_repeat_items_then_retract_with_a_reason(
    server: ServerProcess, phone: Phone
) -> None:
    d = phone.driver
    enroll(phone, server)
    phone.grant_gps(server.url, 40.1, 46.9, 2.0)
    body = record_body(phone)
    sync_in_browser(d)
    d.get(server.url + f"/field/#/record/{body}")
    until(lambda: len(item_rows(d)) == 2, "the two inventory rows")
    first, second = (r.get_attribute("data-item") for r in item_rows(d))

    # Edit the first row's code, remove the second.
    fill(d, {"code": "5"}, f"[data-item='{first}']")  # over the form's maximum: refused
    press(by(d, f"[data-save-item='{first}']"))
    # The message the Python device's `edit_item` gives for these values (same path).
    from forms.validate import validate_item

    [problem] = validate_item(
        builtin_library().resolve("human_remains"), "inventory", {"code": 5}, partial=True
    )
    expected = problem.message
    until(
        lambda: by(d, f"[data-item='{first}'] [data-field='code'] .problem").text == expected,
        "the server's message next to the row's field",
    )
    assert counts(d)["pending"] == 0
    fill(d, {"code": "3"}, f"[data-item='{first}']")
    press(by(d, f"[data-save-item='{first}']"))
    until(lambda: counts(d)["pending"] == 1, "the saved row")
    assert field(d, "code", f"[data-item='{first}']").get_attribute("value") == "3"
    press(by(d, f"[data-remove-item='{second}']"))
    until(lambda: [r.get_attribute("data-item") for r in item_rows(d)] == [first], "the removal")
    shot(d, "14-items-edited")
    sync_in_browser(d)
    token = _token(server)
    with httpx.Client(
        base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=10
    ) as http:
        items = http.get(f"/v1/records/{body}").json()["record"]["items"]["inventory"]
        assert [(i["item_id"], i["fields"]["code"]["value"]) for i in items] == [(first, 3)], items

    # Retract: refused without a reason (nothing saved), then with one.
    d.get(server.url + f"/field/#/record/{body}")
    until(lambda: by(d, "#retract"), "the retract button")
    before = counts(d)["pending"]
    press(by(d, "#retract"))
    until(lambda: by(d, "#retract-status").text == "A retraction needs a reason.", "the refusal")
    assert counts(d)["pending"] == before
    by(d, "#retract-reason").send_keys("entered twice: the same body as B002")
    shot(d, "15-retract")
    press(by(d, "#retract"))
    until(lambda: "retracted" in by(d, "p.meta").text, "the retracted record")
    assert not all_by(d, "#retract")
    sync_in_browser(d)
    with httpx.Client(
        base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=10
    ) as http:
        got = http.get(f"/v1/records/{body}").json()["record"]
        assert got["retracted"] is True, got
    assert not VIOLATIONS, json.dumps(VIOLATIONS, indent=1)[:4000]


def test_an_op_the_server_refuses_is_shown_with_its_reason(
    server: ServerProcess, phone: Phone
) -> None:
    """The device's copy of a form is older than the server's (here: its length limit
    removed on the device), so it saves a value the server's validation refuses: the
    receipt names the op, the app counts it refused and shows the server's reason on the
    record and on the sync screen, and the value is out of the device's view."""
    d = phone.driver
    enroll(phone, server)
    d.execute_script(
        "const dev = window.cairnField.dev;"
        "const doc = structuredClone(dev.meta.get('forms'));"
        "for (const f of doc.forms) if (f.id === 'site_grave')"
        "  for (const x of f.fields) if (x.name === 'length_m') x.max = null;"
        "dev.useForms(doc);"
    )
    press(by(d, "[data-form='site_grave']"))
    until(lambda: by(d, "#save"), "the grave form")
    fill(
        d,
        {
            "site_code": "DSH-04",
            "grave_no": "9",
            "legal_authority_ref": "Court order 20/2026",
            "grave_type": "mass",
            "deposition": "primary",
            "status": "excavating",
            "length_m": "500",
        },
    )
    press(by(d, "#save"))
    grave = saved_record_id(d)
    until(lambda: counts(d).get("refused") == 1, "the refusal in the counts")
    assert counts(d)["pending"] == 0
    reason = server_message("site_grave", {"length_m": 500.0})
    # The record's screen, redrawn by the sync: the server kept nothing of the record.
    refused = until(lambda: by(d, "#refused"), "the refused op on the record page")
    assert reason in refused.text, (reason, refused.text)
    home(d)
    assert grave not in listed(d)
    d.get(server.url + f"/field/#/record/{grave}")
    refused = until(lambda: by(d, "#refused"), "the refused op on the record page")
    assert reason in refused.text, (reason, refused.text)
    shot(d, "16-refused-record")
    d.get(server.url + "/field/#/sync")
    refused = until(lambda: by(d, "#refused"), "the refused op on the sync screen")
    assert reason in refused.text
    assert "Site and grave 9" in refused.text  # named by its grave number, not an id
    shot(d, "17-refused-sync")
    assert not VIOLATIONS, json.dumps(VIOLATIONS, indent=1)[:4000]


class UploadWatcher(TamperingProxy):
    """The tampering proxy, also noting each attachment chunk's offset and length, and
    answering 503 (without forwarding) to attachment requests once `cut` is set."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.chunks: list[tuple[int, int]] = []
        self.cut = False
        handler = self.server.RequestHandlerClass
        forward = handler._forward  # type: ignore[attr-defined]
        watcher = self

        def _forward(h: Any) -> None:
            if h.path.startswith("/v1/device/attachments") and h.command == "POST":
                from sync.attachment import parse_chunk

                length = int(h.headers.get("content-length") or 0)
                body = h.rfile.read(length)
                if watcher.cut:
                    h.send_response(503)
                    h.send_header("content-length", "0")
                    h.end_headers()
                    return
                chunk = parse_chunk(body)
                watcher.chunks.append((chunk.header.offset, chunk.header.length))
                import io

                h.rfile = io.BytesIO(body)
            forward(h)

        handler._forward = _forward  # type: ignore[attr-defined]
        handler.do_GET = handler.do_POST = _forward  # type: ignore[attr-defined]


def test_a_photo_upload_cut_off_resumes_after_a_restart_from_the_servers_offset(
    tmp_path: Path, server: ServerProcess, phone: Phone
) -> None:
    import random

    proxy = UploadWatcher(server.url)
    try:
        d = phone.driver
        target = type("Target", (), {"url": proxy.url, "enroll_code": server.enroll_code})()
        enroll(phone, target)  # type: ignore[arg-type]
        rng = random.Random(7)
        photo = tmp_path / "signature.png"
        Image.frombytes("RGB", (96, 96), rng.randbytes(96 * 96 * 3)).save(photo)
        size = photo.stat().st_size
        assert size > 20_000
        phone.set_offline(True)
        sample = record_sample(phone, photo)
        phone.set_offline(False)
        # Small chunks, and the line cut once the first one landed.
        d.execute_script("window.cairnField.dev.chunkBytes = 8192")
        import threading

        def arm() -> None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(n > 0 for _, n in proxy.chunks):
                time.sleep(0.002)
            proxy.cut = True

        threading.Thread(target=arm, daemon=True).start()
        answer = sync_result(d)
        assert "did not finish" in answer, answer
        landed = sum(n for _, n in proxy.chunks)
        assert landed > 0
        assert counts(d)["files"] == 1  # still to send, kept on the device

        # The browser restarts; the upload goes on from where the server stands.
        phone.quit()
        proxy.cut = False
        before = len(proxy.chunks)
        d = phone.start()
        d.get(proxy.url + "/field/")
        app(d)
        assert sync_result(d) == "ok"
        until(lambda: counts(d).get("files", 0) == 0, "the upload's receipt")
        after = proxy.chunks[before:]
        assert after[0][1] == 0  # first: ask the server where the upload stands
        data = [c for c in after if c[1] > 0]
        assert data and data[0][0] > 0 and data[0][0] <= landed, (landed, after)
        token = _token(server)
        with httpx.Client(
            base_url=server.url, headers={"authorization": f"Bearer {token}"}, timeout=10
        ) as http:
            files = http.get(f"/v1/records/{sample}").json()["attachments"]
            digest = hashlib.sha256(photo.read_bytes()).hexdigest()
            assert [(f["sha256"], f["received"]) for f in files] == [(digest, True)]
            got = http.get(f"/v1/attachments/{digest}").content
            assert hashlib.sha256(got).hexdigest() == digest
    finally:
        proxy.close()
