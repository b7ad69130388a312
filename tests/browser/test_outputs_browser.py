"""Packet, report and PDF with attack payloads in every agency text field and the client list.

Each page is opened in Debian's Chromium twice: as written (its Content-Security-Policy in force)
and with the CSP bypassed, so escaping alone has to hold too. No dialog may open, no script may
write into the page, no element may carry an event handler, and every payload must be on the page
as the text the agency typed. The PDF is printed by the product's own code (scripts off) and read
back as text.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from outputs.rendering import CSP
from packets.build import build_packet, print_pdf
from reports.quarterly import build_report
from tests.output_payloads import (
    MARKER,
    MEETING,
    QUARTER,
    REPORT_FIELDS,
    SCRIPT_FIELDS,
    WRITE_MARKER,
    build_payload_warehouse,
    texts,
)

pytestmark = pytest.mark.browser

HANDLERS = (
    "[...document.querySelectorAll('*')]"
    ".filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length"
)
ACTIVE = "document.querySelectorAll('script, iframe, object, embed, svg, frame, link, base, form').length"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, chromium) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("payloads")
    wh = build_payload_warehouse(f"sqlite:///{root / 'warehouse.db'}")
    packet = build_packet(wh.engine, MEETING, root / "out")
    report = build_report(wh.engine, QUARTER, root / "out")
    wh.dispose()
    assert packet.pdf_note is None, packet.pdf_note
    files = {p.suffix: p for p in packet.files}
    return {"packet": files[".html"], "pdf": files[".pdf"], "report": report.html}


def visit(chromium, path: Path, bypass_csp: bool) -> tuple[str, list[str], dict]:
    context = chromium.new_context(bypass_csp=bypass_csp)
    try:
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)  # onerror / onload handlers would have fired by now
        seen = {"title": page.title(), "handlers": page.evaluate(HANDLERS), "active": page.evaluate(ACTIVE)}
        return page.inner_text("body"), dialogs, seen
    finally:
        context.close()


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["csp", "escaping-alone"])
@pytest.mark.parametrize("which", ["packet", "report"])
def test_no_script_runs_and_every_payload_shows_as_text(chromium, outputs, which, bypass_csp) -> None:
    body, dialogs, seen = visit(chromium, outputs[which], bypass_csp)
    assert dialogs == []
    assert MARKER not in body and MARKER not in seen["title"]
    assert seen["handlers"] == 0 and seen["active"] == 0
    planted = (
        texts(SCRIPT_FIELDS) if which == "packet" else texts({k: SCRIPT_FIELDS[k] for k in REPORT_FIELDS})
    )
    missing = [t for t in planted if t not in body]
    assert missing == [], f"not shown as text: {missing}"


@pytest.mark.parametrize("which", ["packet", "report"])
def test_pages_carry_a_csp_that_stops_a_script_escaping_would_miss(
    chromium, outputs, which, tmp_path
) -> None:
    html = outputs[which].read_text(encoding="utf-8")
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP.replace(chr(39), "&#39;")}">' in html
    # an escaping bug, simulated: a live script and a handler put straight into the file
    broken = tmp_path / f"{which}.html"
    broken.write_text(
        html.replace("</body>", f"{WRITE_MARKER}<img src=x onerror=\"alert('csp')\"></body>"),
        encoding="utf-8",
    )
    body, dialogs, _ = visit(chromium, broken, bypass_csp=False)
    assert dialogs == [] and MARKER not in body


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    # NFKC: Chromium's PDF sets "fi"/"ffi" as ligature glyphs; whitespace: table cells wrap lines
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    return "".join(unicodedata.normalize("NFKC", text).split())


def test_pdf_shows_payloads_as_text_and_no_script_wrote_into_it(outputs) -> None:
    text = _pdf_text(outputs["pdf"])
    assert MARKER not in text
    missing = [t for t in texts(SCRIPT_FIELDS) if "".join(t.split()) not in text]
    assert missing == [], f"not in the PDF as text: {missing}"


def test_pdf_is_printed_with_scripts_off(outputs, tmp_path) -> None:
    # no CSP, a live script: only Chromium's scripts-off setting keeps the marker out of the PDF
    page = tmp_path / "live.html"
    page.write_text(
        f"<!doctype html><html><body><p>printed</p>{WRITE_MARKER}</body></html>", encoding="utf-8"
    )
    pdf, note = print_pdf(page, tmp_path / "live.pdf")
    assert note is None and pdf is not None
    text = _pdf_text(pdf)
    assert "printed" in text and MARKER not in text
