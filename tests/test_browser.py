"""The counter, in a real browser: Debian's chromium driven by Playwright.

The app runs as it does in production: ``emitra db migrate``, ``emitra demo`` and
``emitra serve`` as separate processes, on SQLite in a temporary folder, or on the PostgreSQL
database named by EMITRA_TEST_DATABASE_URL (its public schema is dropped first).

A screenshot and a PDF of the receipt are left in test-artifacts/ at the repository root.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
EMITRA = Path(sys.executable).parent / "emitra"
PASSWORD = "emitra-demo"
START_TIMEOUT = 30.0
DEVANAGARI = re.compile(r"[\u0900-\u097F]")


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium, or `make browser-deps`)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _reset_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([str(EMITRA), *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"`emitra {' '.join(args)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def _wait_until_up(base_url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`emitra serve` exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(base_url + "/login", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"`emitra serve` did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A migrated database with the demo district, served by `emitra serve`; yields its base URL."""
    yield from serve()


def serve(setup: str = "") -> Iterator[str]:
    """The body of :func:`server`: ``setup``, Python code run with the server's settings after the
    demo is loaded and before `emitra serve` starts (another module's data), then its base URL."""
    _require_chromium()
    data_dir = Path(tempfile.mkdtemp(prefix="emitra-browser-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMITRA_")}
    env.update({"EMITRA_DATA_DIR": str(data_dir), "EMITRA_FAST_PASSWORD_HASH": "1"})
    pg_url = os.environ.get("EMITRA_TEST_DATABASE_URL", "").strip()
    if pg_url:
        asyncio.run(_reset_postgres(pg_url))
        env["EMITRA_DATABASE_URL"] = pg_url
    _run(["db", "migrate"], env)
    _run(["demo"], env)
    _run(["demo-cases"], env)
    if setup:
        done = subprocess.run([sys.executable, "-c", setup], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.fail(f"the setup failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = data_dir / "serve.log"
    with log.open("w") as log_file:
        proc = subprocess.Popen([str(EMITRA), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(base_url, proc, log)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        server_log = log.read_text(errors="replace")
        if "Traceback" in server_log:
            print(f"--- emitra serve log ---\n{server_log}")
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, locale="en-IN", viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def log_in(page, username: str = "operator1", lang: str = "en", lands: str = r"/counter$") -> None:
    from playwright.sync_api import expect

    page.goto(f"/lang/{lang}?next=/login")  # the session's language outlives the login
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(lands))


def facts(page) -> dict[str, str]:
    """The receipt's table as {heading: value}."""
    return page.eval_on_selector_all(
        "table.facts tr",
        "rows => Object.fromEntries(rows.map(r => [r.querySelector('th').innerText.trim(), r.querySelector('td').innerText.trim()]))",
    )


def test_counter_flow_electricity_bill_to_printed_receipt(page):
    from playwright.sync_api import expect

    log_in(page)
    expect(page.locator("h1")).to_contain_text("JP-LM-001")

    # Find the citizen: by name, then by mobile number.
    page.fill("#q", "Ramesh Kumar Sharma")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table tbody tr", has_text="Ramesh Kumar Sharma")).to_have_count(1)
    page.fill("#q", "9829012345")
    page.get_by_role("button", name="Search").click()
    row = page.locator("table tbody tr", has_text="9829012345")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Ramesh Kumar Sharma")
    emitra_id = row.locator("td").first.inner_text().strip()
    assert re.fullmatch(r"JP-\d{8}-\d", emitra_id), emitra_id
    row.get_by_role("link").click()

    expect(page.locator("h1")).to_contain_text("Ramesh Kumar Sharma")
    expect(page.locator("h1")).to_contain_text(emitra_id)

    # The JVVNL bill.
    page.get_by_role("link", name=re.compile(r"Electricity bill.*JVVNL")).click()
    expect(page.locator("h1")).to_contain_text("JVVNL")
    k_number = page.locator("#f-k_number")
    k_field = page.locator(".field", has=k_number)
    get_amount = page.get_by_role("button", name="Get amount due")

    # A malformed K-number: the error sits in the K-number's own field, tied to the input.
    k_number.fill("12345")
    get_amount.click()
    error = page.locator("#f-k_number-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("K-number must be exactly 12 digits")
    expect(k_field.locator(".error")).to_have_text(error.inner_text())
    expect(k_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(k_number).to_have_attribute("aria-invalid", "true")
    expect(k_number).to_have_attribute("aria-describedby", "f-k_number-error")
    expect(k_number).to_have_value("12345")

    # A well-formed K-number the discom does not know.
    k_number.fill("999999999999")
    get_amount.click()
    expect(error).to_contain_text("No consumer account with K-number 999999999999")
    expect(k_field.locator(".error")).to_have_count(1)

    # The real one: confirm the amount.
    k_number.fill("210412345678")
    get_amount.click()
    expect(page.locator("#total")).to_have_text("₹1,483.50")
    expect(page.locator("table.facts")).to_contain_text("Ramesh Kumar Sharma")
    expect(page.locator("table.facts")).to_contain_text("210412345678")
    expect(page.locator("table.facts tr", has_text="Service charge")).to_contain_text("₹3.95")

    page.fill("#tendered", "1500")
    page.get_by_role("button", name=re.compile("Cash received")).click()

    # The receipt.
    expect(page).to_have_url(re.compile(r"/receipts/[^/]+$"))
    receipt_no = page.locator("#receipt-no").inner_text().strip()
    assert receipt_no, "the receipt number is empty"
    assert page.url.endswith("/receipts/" + receipt_no), (page.url, receipt_no)
    rows = facts(page)
    assert "JP-LM-001" in rows["Counter"], rows
    assert "Anil Verma" in rows["Operator"] and "operator1" in rows["Operator"], rows
    assert "Ramesh Kumar Sharma" in rows["Citizen"] and emitra_id in rows["Citizen"], rows
    assert rows["Service"] == "Electricity bill – Jaipur Vidyut Vitran Nigam Ltd (JVVNL)", rows
    assert rows["K-number"] == "210412345678", rows
    assert rows["Amount paid to the department or partner"] == "₹1,483.50", rows
    assert rows["Service charge"] == "₹3.95 (paid by the department)", rows
    assert rows["Total paid by the citizen"] == "₹1,483.50", rows
    assert "Cash" in rows["Payment"] and "₹1,500.00" in rows["Payment"] and "₹16.50" in rows["Payment"], rows
    assert re.fullmatch(r"JVVNL-ACK-\d{10}", rows["Department acknowledgement"]), rows

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "receipt.png"), full_page=True)

    # Printed: only the receipt; the header, the footer and the Print button are hidden.
    header = page.locator("header.top")
    display = "el => getComputedStyle(el).display"
    assert header.evaluate(display) != "none"
    page.emulate_media(media="print")
    assert header.evaluate(display) == "none"
    assert page.locator("footer").evaluate(display) == "none"
    assert page.locator("p.no-print").evaluate(display) == "none"
    expect(page.locator("article.receipt")).to_be_visible()
    pdf = ARTIFACTS / "receipt.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    page.screenshot(path=str(ARTIFACTS / "receipt-print.png"), full_page=True)
    page.emulate_media(media="screen")


def test_counter_page_in_hindi(page):
    from playwright.sync_api import expect

    log_in(page)
    expect(page.locator("h2").first).to_have_text("Find the citizen")
    try:
        page.get_by_role("button", name="हिन्दी").click()
        expect(page).to_have_url(re.compile(r"/counter$"))
        expect(page.locator("html")).to_have_attribute("lang", "hi")
        heading = page.locator("main h2").first
        expect(heading).to_have_text(DEVANAGARI)
        expect(heading).not_to_have_text("Find the citizen")
        expect(page.locator("label[for=q]")).to_have_text(DEVANAGARI)
        # The switch is remembered: the next page is in Hindi too.
        page.reload()
        expect(page.locator("main h2").first).to_have_text(DEVANAGARI)
    finally:
        page.goto("/counter")
        page.locator("header .langs button[lang=en]").click()  # operator1's saved preference back to English


def test_a_caste_certificate_with_a_condition_and_an_uploaded_scan(page, tmp_path):
    """An application form with nested fields, an if/then/else branch and a file upload, in a real browser."""
    from playwright.sync_api import expect

    log_in(page)
    page.fill("#q", "9829012345")
    page.get_by_role("button", name="Search").click()
    page.locator("table tbody tr", has_text="9829012345").get_by_role("link").click()
    page.get_by_role("link", name=re.compile(r"Caste certificate")).click()
    expect(page.locator("h1")).to_contain_text("Caste certificate")
    expect(page.locator("#f-annual_family_income")).to_have_count(0)  # only for OBC/MBC

    page.fill("#f-applicant_name", "Lakshmi Narayan Bairwa")
    page.fill("#f-father_name", "Gheesa Lal Bairwa")
    page.select_option("#f-caste_category", "OBC")
    page.fill("#f-caste", "Bairwa")
    page.fill("#f-address-house", "14, Bairwa Mohalla")
    page.fill("#f-address-village_ward", "Phagi")
    page.select_option("#f-address-tehsil", "phagi")
    page.fill("#f-address-district", "Jaipur")
    page.fill("#f-address-pin", "303005")
    scan = tmp_path / "ration-card.pdf"
    scan.write_bytes(b"%PDF-1.4 ration card scan")
    page.set_input_files("#f-ration_card_scan", str(scan))
    page.get_by_role("button", name="Check and continue").click()
    # OBC needs the income and the declaration: the branch's fields now show, with their errors.
    expect(page.locator("#f-annual_family_income-error")).to_contain_text("required")
    expect(page.locator("text=Document uploaded")).to_be_visible()  # the scan is kept, not asked again
    page.fill("#f-annual_family_income", "180000")
    page.check("#f-non_creamy_layer")
    page.get_by_role("button", name="Check and continue").click()
    expect(page.locator("#total")).to_have_text("₹10.00")
    page.get_by_role("button", name=re.compile("record the payment")).click()
    expect(page.locator("#receipt-no")).to_have_text(re.compile(r"^JP\d{13}$"))
    expect(page.locator("table.facts")).to_contain_text("Caste certificate")
    page.screenshot(path=str(ARTIFACTS / "caste-certificate-receipt.png"), full_page=True)


def test_a_scan_too_large_for_its_field_is_refused_when_chosen_at_a_kiosk_in_hindi(browser, server, tmp_path):
    """At the JanMitra kiosk (1024x600, Hindi), a 3 MB phone photo chosen for the ration card (its
    field takes 1 MB) was sent whole over the kiosk's link and refused only then, and one past the
    site's limit (12 MB) lost the form to an error page. It is refused as soon as it is chosen, beside
    the field, in the page's language, and not sent; a scan that fits goes on as before."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=server, locale="hi-IN", viewport={"width": 1024, "height": 600})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, "operator2", "hi")
        page.fill("#q", "8003344556")
        page.locator("form:has(#q) button[type=submit]").click()
        page.locator("table tbody tr", has_text="8003344556").get_by_role("link").click()
        page.get_by_role("link", name=re.compile("जाति प्रमाण पत्र")).click()
        posted = []
        page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
        photo = tmp_path / "ration card photo.pdf"
        photo.write_bytes(b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024))
        scan = page.locator("#f-ration_card_scan")
        scan.set_input_files(str(photo))
        refused = page.locator("#f-ration_card_scan-too-large")
        expect(refused).to_be_visible()
        expect(refused).to_have_text("फ़ाइल 3.1 MB की है; अधिकतम 1 MB स्वीकार है। कम रिज़ॉल्यूशन पर स्कैन करें।")  # as the help says it
        expect(scan).to_have_attribute("aria-invalid", "true")
        expect(page.locator(".field", has=scan)).to_have_class(re.compile(r"\bhas-error\b"))
        assert scan.evaluate("input => input.files.length") == 0  # not sent with the form
        assert posted == []
        page.fill("#f-applicant_name", "Geeta Meena")
        page.fill("#f-father_name", "Ram Lal Meena")
        page.select_option("#f-caste_category", "ST")
        page.fill("#f-caste", "Meena")
        page.fill("#f-address-village_ward", "Bassi")
        page.select_option("#f-address-tehsil", index=1)
        page.fill("#f-address-district", "Jaipur")
        page.fill("#f-address-pin", "303301")
        small = tmp_path / "ration card.pdf"
        small.write_bytes(b"%PDF-1.4 ration card scan")
        scan.set_input_files(str(small))
        expect(refused).to_be_hidden()
        page.get_by_role("button", name="जाँचें और आगे बढ़ें").click()
        expect(page.locator("#total")).to_have_text("₹10.00")
        expect(page.locator("table.facts")).to_contain_text("ration card.pdf")
    finally:
        context.close()


def test_a_citizen_reads_a_bill_paid_by_upi_on_a_phone_without_javascript_within_the_screen(browser, server, page):
    """The citizen's copy of a receipt awaiting UPI, at 360 pixels with JavaScript off, was 672 pixels
    wide: the QR code is drawn 85.5 mm wide, the upi:// link is one long word, and the service charge's
    "(paid by the department)" was kept on one line beside its amount (alone, 445 pixels). The page now
    fits the screen, the QR code and the link still on it; the operator's 1024-pixel page is as it was."""
    from playwright.sync_api import expect

    log_in(page)
    page.fill("#q", "9829012345")
    page.get_by_role("button", name="Search").click()
    page.locator("table tbody tr", has_text="9829012345").get_by_role("link").click()
    page.get_by_role("link", name=re.compile(r"Electricity bill.*JVVNL")).click()
    page.fill("#f-k_number", "2104 1234 5678")
    page.get_by_role("button", name="Get amount due").click()
    page.get_by_role("button", name=re.compile("UPI QR code")).click()
    expect(page.locator("#upi-qr svg")).to_be_visible()
    receipt_no = page.locator("#receipt-no").inner_text().strip()

    context = browser.new_context(base_url=server, locale="en-IN", java_script_enabled=False, viewport={"width": 360, "height": 640})
    context.set_default_timeout(10_000)
    phone = context.new_page()
    try:
        log_in(phone, "citizen", lands=r"/my$")
        phone.goto(f"/receipts/{receipt_no}")
        expect(phone.locator("#payment-status")).to_contain_text("Awaiting UPI payment")
        expect(phone.locator("table.facts tr", has_text="Service charge")).to_contain_text("(paid by the department)")
        wide = phone.evaluate("""() => [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .map(e => e.tagName + (e.id ? "#" + e.id : ""))""")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360 and wide == [], wide
        qr = phone.locator("#upi-qr svg").bounding_box()
        assert qr and 150 < qr["width"] <= 360, qr
        expect(phone.locator("#upi-link")).to_be_visible()
        phone.screenshot(path=str(ARTIFACTS / "upi-receipt-phone.png"), full_page=True)
    finally:
        context.close()


def test_enter_goes_on_and_a_number_takes_indian_grouping(page):
    """Enter on step 2 of a form pressed "Back" (the form's first button); a number box refused
    "1,80,000" (an <input type=number> cannot hold it, and sent nothing: "is required")."""
    from playwright.sync_api import expect

    log_in(page)
    page.fill("#q", "9829012345")
    page.get_by_role("button", name="Search").click()
    page.locator("table tbody tr", has_text="9829012345").get_by_role("link").click()
    citizen = page.url
    page.get_by_role("link", name=re.compile(r"Passport application")).click()
    page.fill("#f-given_name", "RAMESH KUMAR")
    page.fill("#f-date_of_birth", "1978-03-12")
    page.fill("#f-place_of_birth", "Jaipur, Jaipur")
    page.select_option("#f-application_type", "fresh")
    page.select_option("#f-booklet", "36")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("p.steps")).to_contain_text("Step 2 / 3")
    page.fill("#f-address-house", "12 Malviya Nagar")
    page.fill("#f-address-locality", "Jaipur")
    page.fill("#f-address-district", "Jaipur")
    page.fill("#f-address-pin", "302017")
    page.fill("#f-emergency_contact-name", "Sunita Sharma")
    page.fill("#f-emergency_contact-mobile", "9829012346")
    page.press("#f-emergency_contact-mobile", "Enter")
    expect(page.locator("p.steps")).to_contain_text("Step 3 / 3")  # on, not back to step 1

    page.goto(citizen)
    page.get_by_role("link", name=re.compile(r"Caste certificate")).click()
    page.fill("#f-applicant_name", "Lakshmi Narayan Bairwa")
    page.fill("#f-father_name", "Gheesa Lal Bairwa")
    page.select_option("#f-caste_category", "OBC")
    page.get_by_role("button", name="Check and continue").click()
    page.fill("#f-annual_family_income", "1,80,000")
    page.get_by_role("button", name="Check and continue").click()
    expect(page.locator("#f-annual_family_income")).to_have_value("180000")
    expect(page.locator("#f-annual_family_income-error")).to_have_count(0)


def _log_in_as(page, username: str, landing: str) -> None:
    from playwright.sync_api import expect

    page.goto("/lang/en?next=/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(landing))


def test_a_kiosk_application_through_the_department_to_the_citizen(browser, server, tmp_path):
    """Applied for at the JanMitra kiosk, approved and issued by the Tehsildar, handed over at the kiosk;
    the citizen tracks every step and verifies the certificate's QR address, all in a real browser."""
    from playwright.sync_api import expect

    def new_page():
        context = browser.new_context(base_url=server, locale="en-IN", viewport={"width": 1200, "height": 900})
        context.set_default_timeout(10_000)
        return context.new_page()

    # 1. The kiosk operator applies for Geeta Meena's ST caste certificate.
    kiosk = new_page()
    _log_in_as(kiosk, "operator2", r"/counter$")
    kiosk.fill("#q", "8003344556")
    kiosk.get_by_role("button", name="Search").click()
    kiosk.locator("table tbody tr", has_text="8003344556").get_by_role("link").click()
    kiosk.get_by_role("link", name=re.compile(r"Caste certificate")).click()
    kiosk.fill("#f-applicant_name", "Geeta Meena")
    kiosk.fill("#f-father_name", "Ram Lal Meena")
    kiosk.select_option("#f-caste_category", "ST")
    kiosk.fill("#f-caste", "Meena")
    kiosk.fill("#f-address-village_ward", "Bassi")
    kiosk.select_option("#f-address-tehsil", "bassi")
    kiosk.fill("#f-address-pin", "303301")
    scan = tmp_path / "ration-card.pdf"
    scan.write_bytes(b"%PDF-1.4 ration card scan")
    kiosk.set_input_files("#f-ration_card_scan", str(scan))
    kiosk.fill("#f-mobile", "8003344556")
    kiosk.get_by_role("button", name="Check and continue").click()
    kiosk.get_by_role("button", name=re.compile("record the payment")).click()
    receipt_no = kiosk.locator("#receipt-no").inner_text().strip()
    assert re.fullmatch(r"JP\d{13}", receipt_no), receipt_no

    # 2. The Tehsildar finds it in the inbox, opens it, approves and issues the certificate.
    office = new_page()
    _log_in_as(office, "tehsildar", r"/office")
    row = office.locator("#cases tbody tr", has_text=receipt_no)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("With the department")
    row.get_by_role("link", name=receipt_no).click()
    expect(office.locator("h1")).to_contain_text(receipt_no)
    expect(office.locator("#documents")).to_contain_text("Ration card")
    office.fill("#remark-approve", "Caste verified against the ration card")
    office.get_by_role("button", name="Approve", exact=True).click()
    office.get_by_role("button", name="Issue the certificate").click()
    certificate_link = office.locator("#certificate")
    expect(certificate_link).to_have_text(re.compile(r"^JP-C-\d{4}-\d{6}$"))
    certificate_link.click()
    expect(office.locator("svg").first).to_be_visible()  # the QR code, drawn on the server
    verify_url = office.get_by_role("link", name="Public verification page").get_attribute("href")
    office.screenshot(path=str(ARTIFACTS / "certificate.png"), full_page=True)

    # 3. The kiosk hands it over, only once the operator confirms the identity check.
    kiosk.goto("/counter/cases")
    ready = kiosk.locator("tr", has_text=receipt_no).filter(has=kiosk.locator("input[name=action][value=collect]"))
    expect(ready).to_contain_text("Print the certificate")
    ready.locator("input[type=checkbox]").check()
    ready.get_by_role("button", name="Record the hand-over").click()
    expect(kiosk.locator("#done")).to_contain_text(receipt_no)

    # 4. The citizen, with no account, follows every step by receipt number and mobile.
    citizen = new_page()
    citizen.goto("/track")
    citizen.fill("#number", receipt_no)
    citizen.fill("#mobile", "9999999999")
    citizen.get_by_role("button", name="Show the status").click()
    expect(citizen.locator("#not-found")).to_be_visible()
    citizen.fill("#number", receipt_no)
    citizen.fill("#mobile", "8003344556")
    citizen.get_by_role("button", name="Show the status").click()
    expect(citizen.locator("#state")).to_have_text("Collected")
    steps = citizen.locator("#steps")
    for step in ("Submitted at the counter", "With the department", "Approved", "Ready for collection", "Collected"):
        expect(steps).to_contain_text(step)
    expect(steps).to_contain_text("Caste verified against the ration card")  # the department's remark
    expect(citizen.locator("body")).not_to_contain_text("Ram Lal Meena")  # no personal details
    citizen.screenshot(path=str(ARTIFACTS / "track.png"), full_page=True)

    # 4b. The same on a small phone, without JavaScript, in both languages: the steps used to be a
    # table 472 pixels wide on a 320-pixel screen, the department's remark off to the right.
    phone = browser.new_context(base_url=server, locale="hi-IN", viewport={"width": 320, "height": 640},
                                java_script_enabled=False).new_page()
    for lang in ("en", "hi"):
        phone.goto(f"/lang/{lang}?next=/track")
        phone.fill("#number", receipt_no)
        phone.fill("#mobile", "8003344556")
        phone.locator("form[action='/track'] button[type=submit]").click()
        expect(phone.locator("#steps")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 320, lang
        box = phone.locator("#steps td", has_text="Caste verified against the ration card").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, (lang, box)
    phone.screenshot(path=str(ARTIFACTS / "track-phone-hi.png"), full_page=True)
    phone.context.close()

    # 5. The QR code's address says the certificate is authentic.
    path = re.sub(r"^https?://[^/]+", "", verify_url)
    citizen.goto(path)
    expect(citizen.locator("#verdict")).to_contain_text("Authentic")
    expect(citizen.locator("body")).to_contain_text("Geeta Meena")
    for p in (kiosk, office, citizen):
        p.context.close()


def test_the_society_keeps_its_district_holidays_in_hindi_without_javascript_and_prints_the_list(browser, server):
    """The Society's admin, on a kiosk browser with JavaScript off and the pages in Hindi, adds a
    local holiday (a date too far back first: refused beside the field, what was typed kept), sees
    it listed, prints the list without the forms, and removes it again (decision 109)."""
    import datetime as dt

    from playwright.sync_api import expect

    context = browser.new_context(base_url=server, locale="hi-IN", java_script_enabled=False, viewport={"width": 1000, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/lang/hi?next=/login")
        page.fill("#username", "society")
        page.fill("#password", PASSWORD)
        page.locator("form[action='/login'] button[type=submit]").click()
        page.goto("/society/holidays")
        assert DEVANAGARI.search(page.locator("h1").inner_text())
        form = page.locator("form#add")
        page.fill("#h-date", "2001-01-26")
        page.fill("#h-name", "पुराना दिन")
        form.locator("button[type=submit]").click()
        expect(page.locator("#h-date-error")).to_be_visible()
        assert DEVANAGARI.search(page.locator("#h-date-error").inner_text())
        expect(page.locator("#h-date")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#h-name")).to_have_value("पुराना दिन")  # kept, to correct the date alone

        day = dt.date.today() + dt.timedelta(days=20)
        page.fill("#h-date", day.isoformat())
        page.fill("#h-name", "पुष्कर मेला")
        page.locator("form#add button[type=submit]").click()
        row = page.locator(f"#h-{day.isoformat()}")
        expect(row).to_contain_text("पुष्कर मेला")
        expect(row).to_contain_text("society")
        expect(page.locator("#done")).to_be_visible()

        page.emulate_media(media="print")  # the list prints; the forms and the buttons do not
        expect(page.locator("#district-holidays")).to_be_visible()
        expect(page.locator("form#add")).to_be_hidden()
        expect(row.locator("button")).to_be_hidden()
        page.emulate_media(media="screen")

        row.locator("button[type=submit]").click()
        expect(page.locator(f"#h-{day.isoformat()}")).to_have_count(0)
        expect(page.locator("#done")).to_be_visible()
    finally:
        context.close()


def test_a_citizen_on_a_phone_without_javascript_ticks_a_choice_beside_its_words_and_reads_a_certificate(browser, server):
    """Found walking the citizen's pages at 320 pixels with JavaScript off. Every radio button was as
    wide as the form, drawn alone on a line between two labels, so "हिन्दी" and "English" (the
    language of the grievance's SMS) could not be told apart by where their circles were; and the
    certificate page (the citizen's own, from My applications) was 354 pixels wide, its QR code cut
    off at the right."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=server, locale="hi-IN", java_script_enabled=False, viewport={"width": 320, "height": 640})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        for lang in ("en", "hi"):
            page.goto(f"/lang/{lang}?next=/grievances/new")
            radios = page.locator("input[type=radio]")
            assert radios.count() >= 5  # about: 3, the messages' language: 2
            for i in range(radios.count()):
                radio = radios.nth(i)
                box = radio.bounding_box()
                # the label's words start on the radio's own line, to its right
                words = radio.evaluate("""r => { const range = document.createRange();
                    range.selectNodeContents(r.closest('label')); const first = [...range.getClientRects()].find(b => b.width > 20);
                    return {left: first.left, top: first.top, bottom: first.bottom}; }""")
                assert box["width"] < 40 and words["top"] <= box["y"] + box["height"] / 2 <= words["bottom"], (lang, i, box, words)
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, lang

        page.goto("/lang/en?next=/login")
        page.fill("#username", "tehsildar")
        page.fill("#password", PASSWORD)
        page.locator("form[action='/login'] button[type=submit]").click()
        page.goto("/office/cases/1")  # `emitra demo-cases`'s certificate, issued and collected
        link = page.locator("#certificate")
        expect(link).to_have_text(re.compile(r"^JP-C-\d{4}-\d{6}$"))
        href = link.get_attribute("href")
        for lang in ("en", "hi"):
            page.goto(f"/lang/{lang}?next={href}")
            expect(page.locator("#cert-number")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, lang
            qr = page.locator(".cert-qr svg").bounding_box()
            assert qr["x"] >= 0 and qr["x"] + qr["width"] <= 320, (lang, qr)
        page.screenshot(path=str(ARTIFACTS / "certificate-phone-hi.png"), full_page=True)
    finally:
        context.close()


def test_a_long_receipt_printed_on_small_paper_begins_on_its_first_sheet(browser, server):
    """A receipt longer than the sheet (an application's, on A6 or a small receipt printer's paper,
    with JavaScript off as at a kiosk) printed its heading and receipt number alone on the first
    sheet: the receipt's table was kept whole (``table { page-break-inside: avoid }``), so it moved
    to the next sheet, and broke there anyway. It now breaks between rows, and starts under its heading."""
    import io

    import pypdf

    context = browser.new_context(base_url=server, locale="en-IN", java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/lang/en?next=/login")
        page.fill("#username", "operator2")
        page.fill("#password", PASSWORD)
        page.locator("form[action='/login'] button[type=submit]").click()
        page.locator("table a[href^='/receipts/']").first.click()  # the demo's caste certificate, applied for at this kiosk
        receipt_no = page.locator("#receipt-no").inner_text().strip()
        sheets = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(page.pdf(format="A6"))).pages]
        assert receipt_no in sheets[0] and "Date and time" in sheets[0] and "Counter" in sheets[0], sheets
        assert len(sheets) == 2, sheets
    finally:
        context.close()
