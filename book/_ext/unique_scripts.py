"""Keep one copy of each script in every page of the book.

With Sphinx 7.4, an inline script that an extension adds once the builder exists (sphinx-thebe's
``const THEBE_JS_URL = ...``, sphinx-togglebutton's selector) is written twice into every page: once
registered with no file name and once with an empty one. The second ``const`` is a JavaScript error
("Identifier 'THEBE_JS_URL' has already been declared") that ``tools/check_book.py`` reports. This
extension drops the repeats before each page is written.
"""

from __future__ import annotations

from typing import Any


def _key(script: Any) -> tuple:
    attributes = getattr(script, "attributes", {})
    return (getattr(script, "filename", script) or "", tuple(sorted(attributes.items())))


def drop_repeated_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        if _key(script) not in seen:
            seen.add(_key(script))
            unique.append(script)
    scripts[:] = unique


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", drop_repeated_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
