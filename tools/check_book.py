"""Open the built book in headless Chromium and check every page as a reader would see it.

    python tools/check_book.py             # checks book/_build/html, screenshots to book/_build/screenshots
    python tools/check_book.py --offline   # without internet: external scripts cannot load
    python tools/check_book.py --static    # no browser: only the figures' pixels (make book runs it)

The book is served on 127.0.0.1 by Python's http.server and driven with Selenium. On every page:
it loads, it has a title, every image has loaded, every internal link leads to an existing page
and anchor, the browser console shows no errors, math is typeset by MathJax (offline too: the
book serves its own copy; only MathJax from elsewhere is excused offline), and a page with live
widgets (inert without a kernel) also shows figures. Every chapter page must have an "open in
Colab" launch link to its notebook, and the search page must find the course's words. A
screenshot of every page is saved. Before the browser starts, and alone with ``--static``, every
figure a page shows is read from disk: a blank one (one colour, or almost no ink: empty axes, a
plot whose data never arrived) fails, and so does a page whose text shows an object's default
repr (``<... at 0x...>``), a Python warning or a path of the machine that built it. One line per
problem; exit status 1 if any.

Needs Chromium (Debian: ``apt-get install chromium chromium-driver``) and ``selenium`` (the
``dev`` extra). ``--browser`` and ``--driver`` (or $CHROME_BIN and $CHROMEDRIVER) locate them.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_FOLDERS = {"_static", "_sources", "_images", "_sphinx_design_static", "_panels_static"}
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,1600", "--hide-scrollbars",
]
REDIRECT = re.compile(r'<meta http-equiv="Refresh" content="\d+;\s*url=([^"]+)"', re.IGNORECASE)
SEARCH_WORDS = ["residual", "DuRN"]
SEARCH_TIMEOUT = 20  # seconds for the search page to list results
MATHJAX_TIMEOUT = 10  # seconds for a page's (deferred) MathJax to start
SCREENSHOT_HEIGHT = 5000  # pixels; longer pages are cut

PAGE_STATE = """
const images = Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0));
return {
  title: document.title,
  h1: Array.from(document.querySelectorAll('h1')).map(h => h.innerText.trim()).find(t => t) || '',
  brokenImages: images.map(i => i.currentSrc || i.src),
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  math: document.querySelectorAll('.math').length,
  mathjaxScripts: Array.from(document.scripts).map(s => s.src).filter(s => /mathjax/i.test(s)),
  typeset: document.querySelectorAll('mjx-container').length,
  mathErrors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.getAttribute('data-mjx-error')
                                                                         || e.textContent),
  widgets: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length,
  figures: Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length,
  colab: Array.from(document.querySelectorAll('a[href*="colab.research.google.com"]')).map(a => a.href),
};
"""
WAIT_FOR_MATHJAX = """
const [wait_ms, done] = arguments;
const started = Date.now();
(function wait() {  // a deferred script: MathJax may start after the page has loaded
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(() => done('typeset'), () => done('failed'));
  } else if (Date.now() - started > wait_ms) { done('absent'); } else { setTimeout(wait, 100); }
})();
"""


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, page: str, text: str) -> None:
        self.problems.append(f"{page}: {text}")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's name)
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``folder`` on 127.0.0.1 at a free port, in a daemon thread."""
    handler = functools.partial(QuietHandler, directory=folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def find(explicit: str | None, variable: str, names: list[str]) -> str:
    for candidate in [explicit, os.environ.get(variable), *map(shutil.which, names)]:
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit(f"cannot find {' or '.join(names)}: install it or pass its path (or set ${variable})")


def start_browser(browser: str, driver: str, profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    session.set_page_load_timeout(60)
    session.set_script_timeout(30)
    return session


def pages(folder: Path) -> list[Path]:
    """Every HTML page of the build, relative to it (not the theme's or Sphinx's own files)."""
    found = []
    for path in sorted(folder.rglob("*.html")):
        relative = path.relative_to(folder)
        if not SKIPPED_FOLDERS & set(relative.parts[:-1]):
            found.append(relative)
    return found


# Blank: almost no pixel differs from the background (a blank figure inks 0 %). Empty: no colour at
# all and little ink, as a set of axes whose data never arrived (about 3 %; a sparse coloured line
# plot inks 4 %, the sparsest figure of the book 7 %, and gray images ink far more).
BLANK_INK, EMPTY_INK = 0.01, 0.045
IMAGE_SOURCE = re.compile(r'<img[^>]*\ssrc="([^"]+)"', re.IGNORECASE)


def ink(image) -> tuple[float, float]:
    """The fractions of a figure's pixels that differ visibly from its most common colour, and that
    are visibly coloured (not gray)."""
    import numpy as np

    small = image.convert("RGB")
    small.thumbnail((400, 400))  # plenty to tell a drawn figure from a blank one, and fast
    pixels = np.asarray(small, dtype=np.int32).reshape(-1, 3)
    packed = pixels[:, 0] << 16 | pixels[:, 1] << 8 | pixels[:, 2]
    colours, counts = np.unique(packed, return_counts=True)
    common = colours[counts.argmax()]
    background = np.array([common >> 16, common >> 8 & 255, common & 255])
    inked = float((np.abs(pixels - background).max(axis=1) > 24).mean())
    coloured = float((pixels.max(axis=1) - pixels.min(axis=1) > 40).mean())
    return inked, coloured


def check_figures(folder: Path, report: Report) -> int:
    """Fail every page that shows a blank figure (from its file, or a data: URI); the figures seen."""
    import base64
    import io

    from PIL import Image

    seen = 0
    for relative in pages(folder):
        page = folder / relative
        for source in IMAGE_SOURCE.findall(page.read_text(encoding="utf-8", errors="replace")):
            if source.startswith("data:image/"):
                data = io.BytesIO(base64.b64decode(source.split(",", 1)[1]))
            elif is_external(source, "") or not source.lower().endswith((".png", ".jpg", ".jpeg")):
                continue
            else:
                path = (page.parent / unquote(urldefrag(source)[0])).resolve()
                if not path.is_file():
                    continue  # the browser check reports broken images
                data = path
            with Image.open(data) as image:
                share, coloured = ink(image)
                size = image.size
            seen += 1
            if share < BLANK_INK or (coloured == 0 and share < EMPTY_INK):
                report.fail(str(relative), f"a blank or empty figure ({size[0]}x{size[1]}, {share:.1%} "
                                           f"ink{', no colour' if not coloured else ''}): {source[:60]}")
    return seen


REPR = re.compile(r"<[\w.]+(?: object)? at 0x[0-9a-fA-F]{6,}>")  # an object's default repr
WARNING = re.compile(r"\b[A-Z]\w*Warning: [^\n]{0,80}")  # a line of warnings.warn: "UserWarning: ..."


def check_outputs(folder: Path, report: Report) -> None:
    """Fail a page whose text shows an object's default repr, a Python warning or a path of the
    machine that built it."""
    import html

    machine = {str(folder.parents[2]), f"{Path.home()}/", "/site-packages/"}  # the checkout, home
    for relative in pages(folder):
        text = html.unescape(re.sub(r"<[^>]+>", " ", (folder / relative).read_text(encoding="utf-8",
                                                                                   errors="replace")))
        for found in sorted(set(REPR.findall(text))):
            report.fail(str(relative), f"an object's repr in the page: {found}")
        for found in sorted(set(WARNING.findall(text))):
            report.fail(str(relative), f"a warning in the page: {found.strip()}")
        for path in sorted(p for p in machine if p in text):
            at = text.index(path)
            report.fail(str(relative), f"a path of the build machine ({path}): ...{text[at:at + 60]}...")


def is_external(url: str, base: str) -> bool:
    return url.startswith(("http://", "https://")) and not url.startswith(base)


def anchors(path: Path, cache: dict[Path, set[str]]) -> set[str]:
    if path not in cache:
        text = path.read_text(encoding="utf-8", errors="replace")
        cache[path] = set(re.findall(r'\s(?:id|name)="([^"]+)"', text))
    return cache[path]


def check_links(page: str, links: list[str], base: str, folder: Path, report: Report, cache: dict) -> None:
    for link in sorted(set(links)):
        if not link.startswith(base):
            continue
        address, fragment = urldefrag(link)
        target = folder / unquote(urlparse(address).path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            report.fail(page, f"broken internal link to {link.removeprefix(base)}")
        elif fragment and target.suffix == ".html" and unquote(fragment) not in anchors(target, cache):
            report.fail(page, f"link to a missing anchor: {link.removeprefix(base)}")


def screenshot(session, path: Path) -> None:
    """A screenshot of the page from its top, as tall as the page (at most SCREENSHOT_HEIGHT).

    The window itself is made that tall for the capture: capturing beyond a normal window
    shifts the book's sticky sidebar off the left edge.
    """
    import base64

    metrics = session.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    height = int(min(size["height"], SCREENSHOT_HEIGHT))
    session.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        shot = session.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        session.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    path.write_bytes(base64.b64decode(shot["data"]))


def check_page(session, relative: Path, base: str, folder: Path, shots: Path, offline: bool,
               report: Report, cache: dict) -> None:
    page = relative.as_posix()
    redirect = REDIRECT.search((folder / relative).read_text(encoding="utf-8", errors="replace"))
    if redirect:  # a page that only sends the reader on (the book's root): its target must exist
        target = base + (relative.parent / redirect.group(1)).as_posix()
        check_links(page, [target], base, folder, report, cache)
        report.notes.append(f"{page}: redirects to {redirect.group(1)}")
        return
    session.get(base + page)
    mathjax = session.execute_async_script(WAIT_FOR_MATHJAX, MATHJAX_TIMEOUT * 1000)
    state = session.execute_script(PAGE_STATE)
    if not state["title"] or not state["h1"]:
        report.fail(page, f"no title (document title {state['title']!r}, first heading {state['h1']!r})")
    for source in state["brokenImages"]:
        if offline and is_external(source, base):
            report.notes.append(f"{page}: external image not loaded (offline): {source}")
        else:
            report.fail(page, f"image did not load: {source.removeprefix(base)}")
    check_links(page, state["links"], base, folder, report, cache)
    for entry in session.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        message = entry["message"]
        if message.startswith(base + "favicon.ico "):  # the browser's own request, not the page's
            continue
        external = re.match(r"(https?://\S+)", message)
        if offline and external and is_external(external.group(1), base):
            report.notes.append(f"{page}: external resource not loaded (offline): {external.group(1)}")
        else:
            report.fail(page, f"console error: {message.replace(base, '')}")
    formulas = state["math"]
    if formulas and not (mathjax == "typeset" and state["typeset"]):
        external = [source for source in state["mathjaxScripts"] if is_external(source, base)]
        if offline and mathjax == "absent" and external:
            note = f"math not verified ({formulas} formulas; MathJax is from {external[0]})"
            report.notes.append(f"{page}: {note}")
        else:
            report.fail(page, f"{formulas} formulas but none typeset (MathJax {mathjax})")
    for error in state["mathErrors"]:
        report.fail(page, f"MathJax cannot typeset a formula: {error}")
    if state["widgets"] and not state["figures"]:
        report.fail(page, f"{state['widgets']} live widget output(s) and no figure: a reader without a "
                          "kernel sees nothing, so show a static figure too")
    elif state["widgets"]:
        report.notes.append(f"{page}: {state['widgets']} live widget output(s), inert without a kernel, "
                            f"beside {state['figures']} figures")
    if relative.parts[0] == "notebooks":
        notebook = relative.with_suffix(".ipynb").as_posix()
        if not any(link.endswith("/" + notebook) for link in state["colab"]):
            report.fail(page, f"no Colab launch link to {notebook} (found {state['colab'] or 'none'})")
    shots.mkdir(parents=True, exist_ok=True)
    screenshot(session, shots / (page.replace("/", "__").removesuffix(".html") + ".png"))


def check_search(session, base: str, report: Report) -> None:
    for word in SEARCH_WORDS:
        session.get(f"{base}search.html?q={word}")
        deadline, hits = time.time() + SEARCH_TIMEOUT, 0
        while time.time() < deadline and not hits:
            hits = session.execute_script("return document.querySelectorAll('ul.search li').length")
            time.sleep(0.2)
        if not hits:
            report.fail("search.html", f"searching for {word!r} finds nothing")
        else:
            report.notes.append(f"search.html: {word!r} finds {hits} pages")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=ROOT / "book" / "_build" / "html")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "book" / "_build" / "screenshots")
    parser.add_argument("--browser", help="Chromium or Chrome ($CHROME_BIN)")
    parser.add_argument("--driver", help="chromedriver ($CHROMEDRIVER)")
    parser.add_argument("--offline", action="store_true",
                        help="no internet: external resources that fail to load are noted, not failed")
    parser.add_argument("--static", action="store_true", help="no browser: only the figures' pixels")
    args = parser.parse_args(argv)
    folder = args.html.resolve()
    if not (folder / "index.html").is_file():
        raise SystemExit(f"no built book at {folder} (no index.html): build it first with `make book`")
    if args.static:
        report = Report()
        figures = check_figures(folder, report)
        check_outputs(folder, report)
        for problem in report.problems:
            print(f"FAIL: {problem}")
        print(f"{len(pages(folder))} pages and {figures} figures read, {len(report.problems)} problems")
        return 1 if report.problems else 0
    browser = find(args.browser, "CHROME_BIN", ["chromium", "chromium-browser", "google-chrome"])
    driver = find(args.driver, "CHROMEDRIVER", ["chromedriver"])
    report, cache = Report(), {}
    check_figures(folder, report)
    check_outputs(folder, report)
    server, base = serve(folder)
    profile = tempfile.mkdtemp(prefix="check-book-")
    session = start_browser(browser, driver, profile)
    try:
        all_pages = pages(folder)
        for relative in all_pages:
            check_page(session, relative, base, folder, args.screenshots, args.offline, report, cache)
        check_search(session, base, report)
    finally:
        session.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(f"FAIL: {problem}")
    print(f"{len(all_pages)} pages checked, {len(report.problems)} problems; "
          f"screenshots in {args.screenshots}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
