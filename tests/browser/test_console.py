"""The console in real Chromium: a supervisor's whole review, hostile values, CSRF, sign-out,
and an axe-core accessibility check of every page.

Data comes from real devices pushing to a real `cairn serve`; the supervisor resolves a
conflict and approves in the browser, and a device then pulls and shows the resolution.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import admin
from server.datadir import open_data_dir
from sync.client import Device
from tests.browser.conftest import artifacts
from tests.e2e.harness import PROJECT, ServerProcess, prepare
from tests.examples import GRAVE

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
HOSTILE = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>"


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


def _device(tmp_path: Path, server: ServerProcess, name: str) -> Device:
    dev = Device(tmp_path / f"home-{name}", sleep=lambda s: time.sleep(min(s, 0.2)))
    dev.enroll(server.url, server.enroll_code(), label=name)
    return dev


def _token(server: ServerProcess, role: str = "supervisor") -> str:
    data = open_data_dir(server.data, create=False)
    try:
        project = PROJECT if role == "supervisor" else None
        return admin.issue_token(data.store, role, project, "browser-test", label=role).token
    finally:
        data.store.close()


def shot(driver: Any, name: str) -> Path:
    """Save a screenshot of the current page as a test artifact."""
    path = artifacts() / f"{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(int(height), 800), 4000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1000)
    return path


def axe(driver: Any) -> list[dict[str, Any]]:
    """Serious or critical accessibility violations axe-core finds on the current page."""
    driver.execute_script(AXE.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations)).catch(e => done([{id: String(e)}]));"
    )
    return [v for v in result if v.get("impact") in ("serious", "critical") or "impact" not in v]


def click_through(driver: Any, element: Any) -> None:
    """Click something that loads a new page, and wait (bounded) until it has loaded."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element("tag name", "html")
    element.click()
    WebDriverWait(driver, 15).until(expected_conditions.staleness_of(old))
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def wait_for_url(driver: Any, ending: str) -> None:
    """Wait (bounded) until the browser has navigated to a URL ending so."""
    for _ in range(100):
        if driver.current_url.endswith(ending):
            return
        time.sleep(0.05)
    raise AssertionError(f"{driver.current_url} does not end with {ending}")


def sign_in(driver: Any, server: ServerProcess, token: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(server.url + "/login")
    driver.find_element(By.ID, "token").send_keys(token)
    click_through(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))


def test_a_supervisor_reviews_in_the_browser_and_a_device_pulls_the_result(
    tmp_path: Path, server: ServerProcess, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    a, b = _device(tmp_path, server, "tablet-a"), _device(tmp_path, server, "tablet-b")
    grave = a.new("site_grave", GRAVE)
    hostile = a.new("site_grave", {**GRAVE, "grave_no": 2, "legal_authority_ref": HOSTILE})
    context = {"site_code": "DSH-01", "context_type": "fill", "opened_by": "A. Aliyev"}
    ctx = {
        n: a.new("excavation_context", {**context, "context_no": n, "opened_on": "2026-05-01"})
        for n in (3, 5, 7)
    }
    a.push()
    b.pull()
    a.add_item(ctx[3], "relationships", {"relation": "above", "other_context_no": 5})
    b.add_item(ctx[5], "relationships", {"relation": "above", "other_context_no": 3})
    b.add_item(ctx[5], "relationships", {"relation": "above", "other_context_no": 7})
    a.edit(grave, {"max_depth_m": 2.4})
    b.edit(grave, {"max_depth_m": 2.6})
    a.push()
    b.push()
    driver = browser
    violations: dict[str, list[dict[str, Any]]] = {}

    driver.get(server.url + "/")
    assert driver.current_url.endswith("/login")  # no session: the sign-in page
    shot(driver, "01-login")
    violations["login"] = axe(driver)
    sign_in(driver, server, _token(server))
    wait_for_url(driver, f"/p/{PROJECT}")
    assert "records with open conflicts" in driver.page_source
    shot(driver, "02-dashboard")
    violations["dashboard"] = axe(driver)

    # The queue, filtered to records with open conflicts through the filter form.
    driver.get(server.url + f"/p/{PROJECT}/records")
    Select(driver.find_element(By.NAME, "has_conflicts")).select_by_value("true")
    click_through(driver, driver.find_element(By.CSS_SELECTOR, "form.filters button"))
    rows = driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
    assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == ["DSH-01-G1"]
    shot(driver, "03-queue-conflicts")
    violations["queue"] = axe(driver)

    # The record: the conflict side by side; choose 2.6 with a reason.
    click_through(driver, rows[0].find_element(By.TAG_NAME, "a"))
    assert "max_depth_m" in driver.find_element(By.ID, "conflicts").text
    shot(driver, "04-record-conflict")
    violations["record"] = axe(driver)
    card = driver.find_element(By.CSS_SELECTOR, "form.conflict-card")
    sides = card.find_elements(By.CSS_SELECTOR, "label.side-card")
    chosen = next(s for s in sides if "2.6" in s.text)
    chosen.find_element(By.CSS_SELECTOR, "input[type=radio]").click()
    card.find_element(By.NAME, "reason").send_keys("tape measure photo P-0042")
    click_through(driver, card.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "None." in driver.find_element(By.ID, "conflicts").text
    # Approve, with a comment.
    Select(driver.find_element(By.NAME, "state")).select_by_value("approved")
    driver.find_element(By.NAME, "comment").send_keys("checked against the paper sheet")
    click_through(driver, driver.find_element(By.CSS_SELECTOR, "#review form button"))
    assert "approved" in driver.find_element(By.CSS_SELECTOR, "p.meta").text
    assert "checked against the paper sheet" in driver.find_element(By.ID, "review").text
    shot(driver, "05-record-approved")

    # The device pulls and shows what the supervisor decided.
    a.pull()
    record = a.record(grave)
    assert record.fields["max_depth_m"].value == 2.6 and not record.fields["max_depth_m"].conflict
    assert a.view(grave).review_state == "approved"

    # A hostile value renders as text and runs nothing.
    driver.get(server.url + f"/r/{hostile}")
    assert driver.execute_script("return window.__pwned === undefined")
    assert HOSTILE in driver.find_element(By.CSS_SELECTOR, "table.fields").text
    shot(driver, "06-record-hostile-value")

    # The other pages, looked at and checked.
    for name, path in (
        ("07-map", f"/p/{PROJECT}/map"),
        ("08-duplicates", f"/p/{PROJECT}/duplicates"),
        ("09-stratigraphy", f"/p/{PROJECT}/stratigraphy"),
    ):
        driver.get(server.url + path)
        if name == "09-stratigraphy":
            assert (
                "cycle through contexts 3, 5"
                in driver.find_element(By.CSS_SELECTOR, ".problem").text
            )
            assert len(driver.find_elements(By.CSS_SELECTOR, "svg.matrix line.bad")) == 2
        if name == "07-map":
            for _ in range(50):
                if driver.find_element(By.ID, "project-map").get_attribute("data-markers"):
                    break
                time.sleep(0.1)
            assert driver.find_element(By.ID, "project-map").get_attribute("data-markers") == "2"
        shot(driver, name)
        violations[name] = axe(driver)
        loaded = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert loaded and all(url.startswith(server.url + "/") for url in loaded), loaded

    # A form post without the CSRF token is refused, and changes nothing.
    cookie = driver.get_cookie("cairn_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    forged = httpx.post(
        server.url + f"/r/{grave}/review",
        data={"state": "has_issues", "comment": "forged"},
        cookies={"cairn_session": cookie["value"]},
    )
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert a.view(grave).review_state == "approved"

    # Signing out ends the session: the old cookie no longer opens a page.
    click_through(driver, driver.find_element(By.CSS_SELECTOR, "form.signout button"))
    wait_for_url(driver, "/login")
    again = httpx.get(server.url + "/", cookies={"cairn_session": cookie["value"]})
    assert again.status_code == 303 and again.headers["location"] == "/login"
    assert not any(violations.values()), {k: [x["id"] for x in v] for k, v in violations.items()}
    a.close()
    b.close()


def test_an_admin_issues_an_enroll_code_and_a_token_and_revoking_it_ends_its_sessions(
    tmp_path: Path, server: ServerProcess, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    sign_in(driver, server, _token(server, "admin"))
    driver.get(server.url + f"/p/{PROJECT}/devices")
    click_through(driver, driver.find_element(By.CSS_SELECTOR, "form.inline button"))
    code = driver.find_element(By.CSS_SELECTOR, ".enroll .code").text
    assert driver.find_elements(By.CSS_SELECTOR, ".qr svg")
    shot(driver, "10-devices-enroll-code")
    violations = axe(driver)
    dev = Device(tmp_path / "home-new", sleep=lambda s: time.sleep(min(s, 0.2)))
    dev.enroll(server.url, code, label="from-console")  # the code shown works
    dev.close()
    driver.get(server.url + "/tokens")
    driver.find_element(By.NAME, "label").send_keys("night shift")
    click_through(driver, driver.find_element(By.CSS_SELECTOR, "form.inline button"))
    token = driver.find_element(By.CSS_SELECTOR, ".card .code code").text
    assert token.startswith("cairn_")
    shot(driver, "11-tokens")
    violations += axe(driver)
    # The new supervisor token signs in elsewhere; revoking it ends that session.
    other = httpx.Client(base_url=server.url)
    page = other.get("/login")
    nonce = page.text.split('name="nonce" value="')[1].split('"')[0]
    assert other.post("/login", data={"nonce": nonce, "token": token}).status_code == 303
    assert other.get(f"/p/{PROJECT}").status_code == 200
    token_id = hashlib.sha256(token.encode()).hexdigest()[:12]
    click_through(
        driver,
        driver.find_element(By.CSS_SELECTOR, f"button[aria-label='Revoke token {token_id}']"),
    )
    assert other.get(f"/p/{PROJECT}").status_code == 303  # back to the sign-in page
    other.close()
    assert not violations, [v["id"] for v in violations]


def test_resolve_submits_on_a_360_px_phone(
    tmp_path: Path, server: ServerProcess, browser: Any
) -> None:
    """A supervisor on a phone: the conflict card fits the screen and Resolve submits.

    The fieldset used to be min-content wide (the "another value" input), so the page was
    wider than the 360-px screen and a tap aimed at Resolve landed on the fieldset."""
    from selenium.webdriver.common.by import By

    a, b = _device(tmp_path, server, "tablet-a"), _device(tmp_path, server, "tablet-b")
    grave = a.new("site_grave", GRAVE)
    a.push()
    b.pull()
    a.edit(grave, {"max_depth_m": 2.4})
    b.edit(grave, {"max_depth_m": 2.6})
    a.push()
    b.push()
    driver = browser
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 360, "height": 780, "deviceScaleFactor": 1, "mobile": True},
    )
    sign_in(driver, server, _token(server))
    driver.get(server.url + f"/r/{grave}")
    widths = driver.execute_script(
        "return [innerWidth, document.documentElement.scrollWidth,"
        " document.querySelector('form.conflict-card').getBoundingClientRect().right]"
    )
    assert widths[0] == 360 and widths[1] <= 360 and widths[2] <= 360, widths
    card = driver.find_element(By.CSS_SELECTOR, "form.conflict-card")
    side = next(
        s for s in card.find_elements(By.CSS_SELECTOR, "label.side-card") if "2.6" in s.text
    )
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", side)
    side.click()
    card.find_element(By.NAME, "reason").send_keys("tape measure photo P-0042")
    button = card.find_element(By.CSS_SELECTOR, "button[type=submit]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    path = artifacts() / "console-resolve-360.png"
    driver.save_screenshot(str(path))
    click_through(driver, button)
    assert driver.current_url.endswith("#conflicts")
    assert "None." in driver.find_element(By.ID, "conflicts").text
    a.pull()
    assert a.record(grave).fields["max_depth_m"].value == 2.6
    a.close()
    b.close()
