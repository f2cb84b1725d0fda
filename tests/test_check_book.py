"""tools/check_book.py finds what a reader would: it is run on a small site with known faults.

Needs Chromium, chromedriver and selenium (the dev extra); the CI installs Chromium first.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import check_book  # noqa: E402

pytest.importorskip("selenium", reason="selenium (the dev extra) drives the browser")
BROWSERS = ["chromium", "chromium-browser", "google-chrome"]
if not (shutil.which("chromedriver") and any(map(shutil.which, BROWSERS))):
    reason = "no Chromium and chromedriver: apt-get install chromium chromium-driver"
    pytest.skip(reason, allow_module_level=True)



def figure_png() -> str:
    """A small drawn figure (a coloured diagonal on white), base64: not blank to the figure check."""
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (40, 40), "white")
    ImageDraw.Draw(image).line([(0, 0), (39, 39)], fill=(200, 30, 30), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


PNG = figure_png()
COLAB = "https://colab.research.google.com/github/durn-teach/durn-teach/blob/main/notebooks/good.ipynb"
PAGES = {
    "index.html": """<title>Home</title><h1>Home</h1>
        <a href="notebooks/good.html">a chapter</a> <a href="missing.html">gone</a>
        <img src="missing.png"> <script>throw new Error("boom in the page");</script>""",
    "notebooks/good.html": f"""<title>Good</title><h1 id="top">A good chapter</h1>
        <a href="{COLAB}">open in Colab</a> <img src="data:image/png;base64,{PNG}">
        <a href="../index.html#nowhere">an anchor that does not exist</a> <a href="#top">top</a>""",
    "notebooks/bad.html": """<title>Bad</title><h1>A bad chapter</h1>
        <span class="math">\\(x^2\\)</span>
        <script type="application/vnd.jupyter.widget-view+json">{"model_id": "1"}</script>""",
    "notebooks/cdn.html": f"""<title>CDN</title><h1></h1><h1>MathJax from a CDN</h1>
        <a href="{COLAB.replace('good', 'cdn')}">open in Colab</a> <span class="math">\\(y\\)</span>
        <script src="https://cdn.example.invalid/mathjax/tex-svg.js"></script>""",
    "search.html": "<title>Search</title><h1>Search</h1><ul class='search'></ul>",
    "moved.html": '<meta http-equiv="Refresh" content="0; url=notebooks/gone.html" />',
    "_static/ignored.html": "<title></title>",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    for name, body in PAGES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(f"<!doctype html><html><body>{body}</body></html>")
    return folder


def run(site: Path, shots: Path, *flags: str, capsys) -> tuple[int, list[str]]:
    check_book.SEARCH_TIMEOUT = check_book.MATHJAX_TIMEOUT = 1
    status = check_book.main(["--html", str(site), "--screenshots", str(shots), *flags])
    return status, capsys.readouterr().out.splitlines()


def test_the_faults_are_found_and_good_pages_pass(site, tmp_path, capsys):
    status, lines = run(site, tmp_path / "shots", "--offline", capsys=capsys)
    failures = [line.removeprefix("FAIL: ") for line in lines if line.startswith("FAIL: ")]
    assert status == 1
    assert "index.html: broken internal link to missing.html" in failures
    assert "index.html: image did not load: missing.png" in failures
    errors = [line for line in failures if line.startswith("index.html: console error:")]
    assert any("Uncaught Error: boom in the page" in line for line in errors)
    assert "index.html: console error: missing.png - Failed to load resource: the server responded with a " \
        "status of 404 (File not found)" in errors
    assert "notebooks/good.html: link to a missing anchor: index.html#nowhere" in failures
    assert "notebooks/bad.html: no Colab launch link to notebooks/bad.ipynb (found none)" in failures
    widget = "notebooks/bad.html: 1 live widget output(s) and no figure"
    assert any(line.startswith(widget) for line in failures)
    assert "search.html: searching for 'residual' finds nothing" in failures
    assert "moved.html: broken internal link to notebooks/gone.html" in failures
    assert "note: moved.html: redirects to notebooks/gone.html" in lines
    assert not [line for line in failures if line.startswith("notebooks/good.html") and "anchor" not in line]
    assert not [line for line in failures if "ignored" in line]
    notes = [line for line in lines if line.startswith("note: ")]
    assert "notebooks/bad.html: 1 formulas but none typeset (MathJax absent)" in failures  # offline too
    assert "note: notebooks/cdn.html: math not verified (1 formulas; MathJax is from " \
        "https://cdn.example.invalid/mathjax/tex-svg.js)" in notes
    # the page's second heading is its title, and MathJax from elsewhere is only a note offline
    assert not [line for line in failures if line.startswith("notebooks/cdn.html")]
    assert lines[-1].startswith("6 pages checked, 11 problems")  # favicon.ico, the browser's own, is not one
    shots = sorted(path.name for path in (tmp_path / "shots").iterdir())
    assert shots == ["index.png", "notebooks__bad.png", "notebooks__cdn.png", "notebooks__good.png",
                     "search.png"]
    assert all((tmp_path / "shots" / name).stat().st_size > 1000 for name in shots)


def test_untypeset_math_fails_when_online(site, tmp_path, capsys):
    _, lines = run(site, tmp_path / "shots", capsys=capsys)
    assert "FAIL: notebooks/bad.html: 1 formulas but none typeset (MathJax absent)" in lines


def test_a_missing_build_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="no built book at .* build it first with `make book`"):
        check_book.main(["--html", str(tmp_path)])
