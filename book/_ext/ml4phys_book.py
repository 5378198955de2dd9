"""Small Sphinx fixes for the book's HTML pages.

* sphinx-thebe registers its inline configuration script (``const THEBE_JS_URL = ...``) each
  time the environment is read, so an incremental build can put it twice on a page, where the
  second copy is a JavaScript error ("Identifier 'THEBE_JS_URL' has already been declared").
  Identical scripts are dropped from each page's list here.
* The pydata theme's page template reads a ``default_mode`` (light, dark or auto) that nothing
  in Jupyter Book sets; an empty one is logged as a console error on every page. We set
  ``auto`` (follow the reader's system preference).
* The launch buttons (Binder, Colab) open a page's twin under ``launch/`` (plain Jupyter
  Markdown with a bootstrap cell, made by ``book/tools/launch.py``), never the MyST source: the
  theme's addresses end in ``<page>.md`` or ``<page>.ipynb``, and are rewritten here to
  ``<ml4phys_launch_root>/<page>.ipynb`` (``launch`` in the full edition, ``launch/student`` in
  the student one). A page without a launch notebook loses its launch buttons rather than open
  a notebook full of markup.
* The map of the chapters in the introduction is drawn when the build starts
  (``chapter_map.py``, loaded from here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx


def _dedupe_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
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


def _default_mode(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def _launch_buttons(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    root = app.config.ml4phys_launch_root.strip("/")
    notebook = f"{root}/{pagename}.ipynb"
    exists = (Path(app.srcdir) / notebook).exists()
    sources = [f"/{pagename}{suffix}" for suffix in (".md", ".ipynb")]
    for group in context.get("header_buttons", []):
        buttons = group.get("buttons")
        if group.get("type") != "group" or not buttons:
            continue
        kept = []
        for button in buttons:
            url = button.get("url", "")
            is_launch = button.get("text") in (
                "Binder",
                "Colab",
                "JupyterHub",
                "Deepnote",
                "JupyterLite",
            )
            if not is_launch:
                kept.append(button)
            elif exists:
                source = next((s for s in sources if s in url), None)
                if source:
                    url = url.replace(source, f"/{notebook}", 1)
                kept.append({**button, "url": url})
        group["buttons"] = kept
    context["header_buttons"] = [
        g for g in context.get("header_buttons", []) if g.get("buttons", True)
    ]


def setup(app: Sphinx) -> dict:
    app.add_config_value("ml4phys_launch_root", "launch", "html")
    app.setup_extension("chapter_map")
    app.connect("html-page-context", _launch_buttons, priority=600)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _default_mode, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
