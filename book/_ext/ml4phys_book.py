"""Small Sphinx fixes for the book's HTML pages.

* sphinx-thebe registers its inline configuration script (``const THEBE_JS_URL = ...``) each
  time the environment is read, so an incremental build can put it twice on a page, where the
  second copy is a JavaScript error ("Identifier 'THEBE_JS_URL' has already been declared").
  Identical scripts are dropped from each page's list here.
* The pydata theme's page template reads a ``default_mode`` (light, dark or auto) that nothing
  in Jupyter Book sets; an empty one is logged as a console error on every page. We set
  ``auto`` (follow the reader's system preference).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _dedupe_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        attributes = getattr(script, "attributes", {})
        # an inline script is the same script whatever its filename ('' or None) and priority
        key = attributes.get("body") or str(getattr(script, "filename", script))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _default_mode(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _default_mode, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
