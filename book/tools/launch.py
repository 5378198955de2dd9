"""Launch notebooks: what the Binder and Colab buttons open, in plain Jupyter Markdown.

The book's pages are built from MyST sources (``lectures/NN_slug.md``, ``solutions/NN_slug.ipynb``
and the student notebooks ``exercises/NN_slug.ipynb`` generated from them). Their Markdown holds
constructs that only Sphinx understands: ``{glue:text}`` roles, citations, cross-references,
labels, ``{exercise}``/``{solution}``/``{prf:...}`` directives and ``{literalinclude}``. In
Jupyter or Colab a reader would see that markup instead of numbers, references and listings,
and the solutions written into the lecture text. So every page that a launch button opens has a
generated twin under ``launch/`` in which each construct is replaced by its plain equivalent:

==========================  ===============================================================
MyST                        launch notebook
==========================  ===============================================================
``{glue:text}`key:.3f```    the value of the book's build, formatted exactly as on the page
                            (myst-nb's own formatter); values are stored in the notebook's
                            metadata with the code that produced them
``{cite}``/``{cite:t}``     "[Author et al., 2019]" / "Author et al. [2019]", and a list of
                            references at the end of the notebook (pybtex reads the .bib)
``{ref}``, ``{doc}``,       the section title, "Exercise 3.1", "Theorem 2.1", "(3.4)"; a link
``{prf:ref}``, ``{eq}``     to the other launch notebook when the target is elsewhere
``(label)=``                removed
``$$ ... $$ (label)``       ``\\tag{3.4}`` inside the display, numbered as on the page
``{exercise}``, ``{prf:*}`` a bold, numbered heading line and a block quote
``{solution}``              a collapsed ``<details>`` block; left out of the student edition
``{literalinclude}``        the listing itself (Sphinx's own reader, so the same lines as the
                            page) and the file it comes from
headings                    numbered as on the page ("3.2. Optimizers")
==========================  ===============================================================

Every launch notebook begins, after its title, with the bootstrap cell that installs the helper
package on Colab, at the release named in ``_config.yml`` (``repository.url`` and
``repository.branch``, which also set the launch buttons' addresses): changing either is one
edit followed by ``make sync``. A construct that this module does not know is an error naming
the file and the line, never a silent pass-through.

We use jupytext (already the reader of the MyST sources) and this filter rather than a Sphinx
builder such as sphinx-tojupyter: that would need a second full Sphinx build, and it does not
know the glue, exercise and proof directives this book uses.

Layout::

    launch/lectures/NN.ipynb            full edition (Binder and Colab buttons of the lecture)
    launch/solutions/NN.ipynb           full edition, worked solutions
    launch/student/lectures/NN.ipynb    student edition: lecture without solutions
    launch/student/exercises/NN.ipynb   student edition: the student notebook
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

LAUNCH_DIR = "launch"
EDITIONS = ("full", "student")
NBFORMAT_VERSION = 4

# Folders of the sources, and where their launch twins go, per edition.
_LAYOUT = {
    "full": {"lectures": "launch/lectures", "solutions": "launch/solutions"},
    "student": {
        "lectures": "launch/student/lectures",
        "exercises": "launch/student/exercises",
    },
}


class LaunchError(ValueError):
    """A source construct the converter cannot turn into plain Markdown, or missing glue data."""


# ----------------------------------------------------------------------------------------------
# Configuration: one place for the repository address and the release to install
# ----------------------------------------------------------------------------------------------


def repository(root: Path) -> tuple[str, str]:
    """``(url, ref)`` from ``_config.yml``: the repository and the release (tag or commit).

    Raises:
        LaunchError: when the url is not an https address or the ref is a moving branch name.
    """
    config = yaml.safe_load((Path(root) / "_config.yml").read_text(encoding="utf-8"))
    repo = config.get("repository") or {}
    url, ref = str(repo.get("url", "")), str(repo.get("branch", ""))
    if not url.startswith("https://"):
        raise LaunchError(
            f"_config.yml: repository.url must be an https address, got {url!r}"
        )
    if not (re.fullmatch(r"v\d+\.\d+\.\d+", ref) or re.fullmatch(r"[0-9a-f]{40}", ref)):
        raise LaunchError(
            f"_config.yml: repository.branch must name a release tag (v1.2.3) or a commit, so that "
            f"launched notebooks and the package they install do not move; got {ref!r}"
        )
    return url.rstrip("/"), ref


def bootstrap_source(url: str, ref: str) -> str:
    """The first code cell of every launch notebook: install ``ml4phys`` where it is missing."""
    return (
        "# Colab and other bare Jupyter sessions: install the book's helper package at the release\n"
        "# this notebook belongs to. Binder and a local checkout have it already.\n"
        "try:\n"
        "    import ml4phys\n"
        "except ImportError:\n"
        f'    %pip install --quiet "ml4phys @ git+{url}@{ref}"\n'
        "    import ml4phys"
    )


# ----------------------------------------------------------------------------------------------
# Sources and the index of labels
# ----------------------------------------------------------------------------------------------


@dataclass
class Target:
    """What a label names: its text as a reference, and the document it lives in."""

    doc: str  # docname, e.g. "lectures/03_pytorch"
    text: str  # e.g. "Optimizers", "Exercise 3.1", "(3.4)"


@dataclass
class Doc:
    name: str  # "lectures/03_pytorch"
    chapter: int
    nb: nbformat.NotebookNode
    title: str = ""
    equations: dict[str, str] = field(default_factory=dict)


def read_source(root: Path, docname: str) -> nbformat.NotebookNode:
    """The source notebook of a page: jupytext for ``.md``, nbformat for ``.ipynb``; a student
    notebook is made from its solutions notebook."""
    root = Path(root)
    md, ipynb = root / f"{docname}.md", root / f"{docname}.ipynb"
    solution = root / "solutions" / f"{Path(docname).name}.ipynb"
    if docname.startswith("exercises/") and solution.exists():
        # the student notebook as generated now, not as last written to exercises/
        from notebooks import make_student_notebook

        return make_student_notebook(
            nbformat.read(solution, as_version=NBFORMAT_VERSION), str(solution)
        )
    if md.exists():
        import jupytext

        return jupytext.read(md)
    return nbformat.read(ipynb, as_version=NBFORMAT_VERSION)


_LABEL_RE = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$")
_HEADING_RE = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.*?)\s*$")
_FENCE_RE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[^}]+)\}\s*(?P<arg>.*?)\s*$")
_PLAIN_FENCE_RE = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>[^`{]*)$")
_OPTION_RE = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")
_DISPLAY_LABEL_RE = re.compile(r"^(?P<body>.*)\$\$\s*\((?P<label>[^()\s]+)\)\s*$")
_ROLE_OR_CODE_RE = re.compile(
    r"\{(?P<role>[\w:-]+)\}`(?P<content>[^`]*)`|(?P<code>`+)(?s:.*?)(?P=code)"
)

_PROOF_KINDS = {
    "prf:definition": "Definition",
    "prf:theorem": "Theorem",
    "prf:proposition": "Proposition",
    "prf:lemma": "Lemma",
    "prf:corollary": "Corollary",
    "prf:example": "Example",
    "prf:remark": "Remark",
}
_ADMONITIONS = {
    "note",
    "tip",
    "warning",
    "important",
    "hint",
    "caution",
    "attention",
    "seealso",
}


def _markdown_lines(nb: nbformat.NotebookNode):
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            yield index, cell.source.splitlines()


class Index:
    """Every label of the book, numbered the way Sphinx numbers them on the pages."""

    def __init__(self, root: Path, docnames: list[str]):
        self.root = Path(root)
        self.docs: dict[str, Doc] = {}
        self.targets: dict[str, Target] = {}
        for docname in docnames:
            nb = read_source(self.root, docname)
            chapter = (
                int(Path(docname).name[:2]) if Path(docname).name[:2].isdigit() else 0
            )
            doc = Doc(docname, chapter, nb)
            self.docs[docname] = doc
            self._scan(doc)

    def _scan(self, doc: Doc) -> None:
        counters: dict[str, int] = {}
        pending: list[str] = []
        n_equations = 0
        for _, lines in _markdown_lines(doc.nb):
            literal = (
                None  # the fence of a plain code block, whose lines are not Markdown
            )
            directive_text = (
                None  # what a :label: right after a directive's first line names
            )
            open_fences: list[
                str
            ] = []  # the closing fences of the directives we are inside
            for line in lines:
                if open_fences and line.strip() == open_fences[-1]:
                    open_fences.pop()
                    continue
                if literal:
                    literal = None if line.strip() == literal else literal
                    continue
                option = _OPTION_RE.match(line)
                if option and directive_text is not None:
                    if option["key"] == "label":
                        self.targets[option["value"]] = Target(doc.name, directive_text)
                    continue
                directive_text = None
                plain = _PLAIN_FENCE_RE.match(line)
                if plain and not _DISPLAY_LABEL_RE.match(line):
                    literal = plain["fence"]
                    continue
                label = _LABEL_RE.match(line)
                if label:
                    pending.append(label["label"])
                    continue
                heading = _HEADING_RE.match(line)
                if heading:
                    text = _plain_inline(heading["text"])
                    if not doc.title:
                        doc.title = text
                    for name in pending:
                        self.targets[name] = Target(doc.name, text)
                    pending = []
                    continue
                display = _DISPLAY_LABEL_RE.match(line)
                if display:
                    n_equations += 1
                    number = f"{doc.chapter}.{n_equations}"
                    doc.equations[display["label"]] = number
                    self.targets[display["label"]] = Target(doc.name, f"({number})")
                    continue
                directive = _FENCE_RE.match(line)
                if directive:
                    name = directive["name"]
                    kind = "Exercise" if name == "exercise" else _PROOF_KINDS.get(name)
                    directive_text = ""
                    open_fences.append(directive["fence"])
                    if kind:
                        counters[kind] = counters.get(kind, 0) + 1
                        directive_text = f"{kind} {doc.chapter}.{counters[kind]}"
                    for name in pending:  # a (label)= above a directive
                        self.targets[name] = Target(
                            doc.name, directive_text or doc.title
                        )
                    pending = []
                    continue
                if line.strip():
                    pending = []


def _plain_inline(text: str) -> str:
    return re.sub(r"\{[\w:-]+\}`([^`]*)`", r"\1", text).strip()


# ----------------------------------------------------------------------------------------------
# Glue values from the executed build
# ----------------------------------------------------------------------------------------------


def _is_bootstrap(cell: nbformat.NotebookNode) -> bool:
    """A cell that installs the package (it decides no result; older sources carried one)."""
    return (
        cell.cell_type == "code"
        and "%pip install" in cell.source
        and "ml4phys" in cell.source
    )


def code_digest(nb: nbformat.NotebookNode) -> str:
    """A digest of a notebook's code cells (what decides the glued values)."""
    code = [
        cell.source
        for cell in nb.cells
        if cell.cell_type == "code" and not _is_bootstrap(cell)
    ]
    return hashlib.sha256(json.dumps(code).encode()).hexdigest()[:16]


def glued_from_cache(
    root: Path,
    docname: str,
    source: nbformat.NotebookNode,
    cache_dir: Path | None = None,
) -> dict[str, str] | None:
    """The glued ``text/plain`` values of the build's executed copy of ``docname``.

    Returns None when the jupyter-cache has no record whose code cells equal the source's (the
    source changed since the last ``make html``, or there was none).
    """
    cache_dir = Path(cache_dir or Path(root) / "_build" / ".jupyter_cache")
    if not cache_dir.exists():
        return None
    from jupyter_cache import get_cache

    cache = get_cache(cache_dir)
    suffixes = (f"/{docname}.md", f"/{docname}.ipynb")
    records = sorted(
        (r for r in cache.list_cache_records() if r.uri.endswith(suffixes)),
        key=lambda r: r.created,
    )
    want = code_digest(source)
    for record in reversed(records):
        nb = cache.get_cache_bundle(record.pk).nb
        if code_digest(nb) != want:
            continue
        values = {}
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                meta = output.get("metadata", {}).get("scrapbook")
                if meta:
                    data = output.get("data", {})
                    text = data.get(
                        meta.get("mime_prefix", "") + "text/plain",
                        data.get("text/plain"),
                    )
                    if text is not None:
                        values[meta["name"]] = text
        return values
    return None


def format_glue(text: str, spec: str) -> str:
    """Format a glued value exactly as myst-nb's ``{glue:text}`` role does."""
    from myst_nb.core.variables import format_plain_text

    return format_plain_text(text, spec)


# ----------------------------------------------------------------------------------------------
# Bibliography
# ----------------------------------------------------------------------------------------------


class Bibliography:
    def __init__(self, path: Path):
        from pybtex.database import parse_file

        self.entries = parse_file(str(path)).entries

    def _entry(self, key: str):
        if key not in self.entries:
            raise LaunchError(f"citation key {key!r} is not in book/references.bib")
        return self.entries[key]

    @staticmethod
    def _latex(text: str) -> str:
        import codecs

        import latexcodec  # noqa: F401  (registers the codec)

        return codecs.decode(text, "ulatex").replace("{", "").replace("}", "")

    def authors(self, key: str) -> str:
        entry = self._entry(key)
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        last = [self._latex(" ".join(p.prelast_names + p.last_names)) for p in people]
        if not last:
            return self._latex(
                entry.fields.get("organization", entry.fields.get("title", key))
            )
        if len(last) == 1:
            return last[0]
        if len(last) == 2:
            return f"{last[0]} and {last[1]}"
        return f"{last[0]} et al."

    def year(self, key: str) -> str:
        return self._entry(key).fields.get("year", "n.d.")

    def reference(self, key: str) -> str:
        """One line of the reference list."""
        entry = self._entry(key)
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = ", ".join(self._latex(str(p)) for p in people[:6]) or self.authors(key)
        if len(people) > 6:
            names = ", ".join(self._latex(str(p)) for p in people[:3]) + " et al."
        fields = {k.lower(): self._latex(v) for k, v in entry.fields.items()}
        venue = next(
            (fields[k] for k in ("journal", "booktitle", "publisher", "school", "institution", "howpublished")
             if k in fields),
            "",
        )  # fmt: skip
        parts = [f"{names} ({self.year(key)}). {fields.get('title', key)}."]
        if venue:
            parts.append(f"*{venue}*.")
        link = (
            ("https://doi.org/" + fields["doi"])
            if "doi" in fields
            else fields.get("url")
        )
        if link:
            parts.append(f"<{link}>")
        return " ".join(parts)


# ----------------------------------------------------------------------------------------------
# Markdown conversion
# ----------------------------------------------------------------------------------------------


@dataclass
class Context:
    """What converting one document needs: the book, the edition, the glued values."""

    root: Path
    index: Index
    bib: Bibliography
    doc: Doc
    edition: str
    glue: dict[str, dict[str, str]]  # docname -> glued text/plain values of its build
    cited: list[str] = field(default_factory=list)
    glue_used: set[str] = field(default_factory=set)
    counters: dict[str, int] = field(default_factory=dict)
    sections: list[int] = field(default_factory=list)
    where: str = ""

    def fail(self, message: str) -> LaunchError:
        return LaunchError(f"{self.doc.name}: {self.where}: {message}")


def _launch_path(ctx: Context, docname: str) -> str | None:
    """The launch notebook of ``docname`` in this edition, relative to the current one."""
    folder, name = docname.split("/", 1)
    if ctx.edition == "student" and folder == "solutions":
        folder = "exercises"
    target = _LAYOUT[ctx.edition].get(folder)
    here = _LAYOUT[ctx.edition][ctx.doc.name.split("/", 1)[0]]
    return None if target is None else _relpath(here, target, name)


def _relpath(here: str, target: str, name: str) -> str:
    here_parts, target_parts = Path(here).parts, Path(target).parts
    common = 0
    while (
        common < min(len(here_parts), len(target_parts))
        and here_parts[common] == target_parts[common]
    ):
        common += 1
    up = [".."] * (len(here_parts) - common)
    return Path(*up, *target_parts[common:], f"{name}.ipynb").as_posix()


def _reference(ctx: Context, label: str, text: str | None, kind: str) -> str:
    label = label.strip()
    target = ctx.index.targets.get(label)
    if target is None:
        raise ctx.fail(f"{{{kind}}} to unknown label {label!r}")
    shown = text or target.text
    if target.doc == ctx.doc.name or (
        ctx.edition == "student"
        and target.doc.replace("solutions/", "exercises/") == ctx.doc.name
    ):
        return shown
    path = _launch_path(ctx, target.doc)
    return f"[{shown}]({path})" if path else shown


def _role(ctx: Context, name: str, content: str) -> str:
    explicit = re.fullmatch(r"(?s)(?P<text>.*?)\s*<(?P<target>[^<>]+)>", content)
    text, target = (
        (explicit["text"], explicit["target"]) if explicit else (None, content)
    )
    if name == "glue:text" or name in ("glue", "glue:"):
        key, spec = content, "s"
        if name == "glue:text" and ":" in content.replace("::", "\0"):
            key, _, spec = content.rpartition(":")
        docname = ctx.doc.name.replace("exercises/", "solutions/")
        if "::" in key:
            path, key = key.split("::", 1)
            docname = _resolve(
                ctx.doc.name, path.removesuffix(".md").removesuffix(".ipynb")
            )
        value = ctx.glue.get(docname, {}).get(key)
        if value is None:
            raise ctx.fail(
                f"no glued value {key!r} of {docname}: build the book (make html), then run make "
                "sync, so that the launch notebooks carry the values the pages show"
            )
        ctx.glue_used.add((docname, key))
        return format_glue(value, spec)
    if name in ("cite", "cite:p", "cite:t", "cite:ps", "cite:ts"):
        keys = [k.strip() for k in content.split(",") if k.strip()]
        for key in keys:
            ctx.bib._entry(key)
            if key not in ctx.cited:
                ctx.cited.append(key)
        if name.startswith("cite:t"):
            return ", ".join(f"{ctx.bib.authors(k)} [{ctx.bib.year(k)}]" for k in keys)
        return (
            "["
            + ", ".join(f"{ctx.bib.authors(k)}, {ctx.bib.year(k)}" for k in keys)
            + "]"
        )
    if name in ("ref", "prf:ref", "eq", "numref"):
        return _reference(ctx, target, text, name)
    if name == "doc":
        docname = _resolve(ctx.doc.name, target.strip())
        if ctx.edition == "student":
            docname = docname.replace("solutions/", "exercises/")
        doc = ctx.index.docs.get(docname)
        if doc is None:
            raise ctx.fail(f"{{doc}} to unknown document {target!r}")
        path = _launch_path(ctx, docname)
        return f"[{text or doc.title}]({path})" if path else (text or doc.title)
    if name == "math":
        return f"${content}$"
    if name in ("term", "abbr", "sub", "sup", "kbd", "code"):
        return content if name not in ("code", "kbd") else f"`{content}`"
    raise ctx.fail(f"unknown MyST role {{{name}}}")


def _resolve(here: str, path: str) -> str:
    """The docname that ``path`` (relative to the document ``here``) names."""
    parts: list[str] = list(Path(here).parent.parts)
    for part in Path(path).parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _inline(ctx: Context, line: str) -> str:
    def replace(match: re.Match) -> str:
        if match["code"]:
            return match.group(0)
        return _role(ctx, match["role"], match["content"])

    return _ROLE_OR_CODE_RE.sub(replace, line)


def _directive(
    ctx: Context, name: str, arg: str, options: dict[str, str], body: list[str]
) -> list[str]:
    chapter = ctx.doc.chapter
    title = _inline(ctx, arg) if arg else ""
    if name == "exercise" or name in _PROOF_KINDS:
        kind = "Exercise" if name == "exercise" else _PROOF_KINDS[name]
        number = ""
        if "nonumber" not in options:
            ctx.counters[kind] = ctx.counters.get(kind, 0) + 1
            number = f" {chapter}.{ctx.counters[kind]}"
        head = f"**{kind}{number}**" + (f" ({title})" if title else "")
        inner = _convert_lines(ctx, body)
        return _quote([head, ""] + inner)
    if name == "prf:proof":
        inner = _convert_lines(ctx, body)
        return _quote(["*Proof.*", ""] + inner + ["", "$\\blacksquare$"])
    if name == "solution":
        if ctx.edition == "student":
            return []
        target = ctx.index.targets.get(arg.strip())
        if target is None:
            raise ctx.fail(f"{{solution}} of unknown exercise {arg!r}")
        inner = _convert_lines(ctx, body)
        return (
            [
                "<details>",
                f"<summary><b>Solution to {target.text}</b> (click to open)</summary>",
                "",
            ]
            + inner
            + [
                "",
                "</details>",
            ]
        )
    if name == "literalinclude":
        return _literalinclude(ctx, arg, options)
    if name in _ADMONITIONS or name == "admonition":
        head = f"**{title or name.capitalize()}.**"
        return _quote([head, ""] + _convert_lines(ctx, body))
    if name == "math":
        label = options.get("label")
        tag = ""
        if label:
            tag = f" \\tag{{{ctx.doc.equations.get(label, '?')}}}"
        return ["$$"] + body + [tag.strip(), "$$"] if tag else ["$$"] + body + ["$$"]
    raise ctx.fail(f"unknown MyST directive {{{name}}}")


def _quote(lines: list[str]) -> list[str]:
    return [f"> {line}" if line else ">" for line in lines]


def _literalinclude(ctx: Context, arg: str, options: dict[str, str]) -> list[str]:
    from sphinx.config import Config
    from sphinx.directives.code import LiteralIncludeReader

    known = {"language", "pyobject", "start-at", "start-after", "end-before", "end-at", "lines", "dedent",
             "caption", "linenos", "emphasize-lines"}  # fmt: skip
    unknown = set(options) - known
    if unknown:
        raise ctx.fail(f"{{literalinclude}} option(s) {sorted(unknown)} not supported")
    path = (ctx.root / ctx.doc.name).parent / arg.strip()
    if not path.exists():
        raise ctx.fail(f"{{literalinclude}} of a missing file {arg!r}")
    reader_options = {
        k: v
        for k, v in options.items()
        if k not in ("language", "caption", "linenos", "emphasize-lines")
    }
    if "dedent" in reader_options:
        reader_options["dedent"] = int(reader_options["dedent"])
    config = Config({}, {})
    config.source_encoding = "utf-8"
    text, _ = LiteralIncludeReader(str(path), reader_options, config).read()
    relative = path.resolve().relative_to(ctx.root.resolve()).as_posix()
    what = f"`{options['pyobject']}` in " if "pyobject" in options else ""
    return [
        f"*From {what}`{relative}`, the book's package (open it with `ml4phys.{_module(relative)}??` after importing):*",
        "",
        f"```{options.get('language', 'python')}",
        *text.rstrip("\n").splitlines(),
        "```",
    ]


def _module(relative: str) -> str:
    return relative.removeprefix("src/ml4phys/").removesuffix(".py").replace("/", ".")


def _convert_lines(ctx: Context, lines: list[str]) -> list[str]:
    out: list[str] = []
    paragraph: list[
        str
    ] = []  # plain lines, converted together (a code span may wrap a line)

    def flush() -> None:
        if paragraph:
            out.extend(_inline(ctx, "\n".join(paragraph)).split("\n"))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or not (
            _FENCE_RE.match(line) or _PLAIN_FENCE_RE.match(line) or _LABEL_RE.match(line)
            or _DISPLAY_LABEL_RE.match(line) or _HEADING_RE.match(line)
        ):  # fmt: skip
            ctx.where = f"line {i + 1} ({line.strip()[:40]!r})"
            paragraph.append(line)
            if not line.strip():
                flush()
            i += 1
            continue
        flush()
        ctx.where = f"line {i + 1} ({line.strip()[:40]!r})"
        directive = _FENCE_RE.match(line)
        if directive:
            fence = directive["fence"]
            j = i + 1
            options: dict[str, str] = {}
            while j < len(lines) and _OPTION_RE.match(lines[j]):
                option = _OPTION_RE.match(lines[j])
                value = option["value"]
                if (
                    value[:1] in "'\""
                ):  # MyST reads option values as YAML: a quoted string
                    value = str(yaml.safe_load(value))
                options[option["key"]] = value
                j += 1
            body_start = j
            while j < len(lines) and lines[j].strip() != fence:
                j += 1
            if j == len(lines):
                raise ctx.fail(
                    f"directive {{{directive['name']}}} is not closed with {fence}"
                )
            body = lines[body_start:j]
            while body and not body[0].strip():
                body = body[1:]
            out.extend(
                _directive(ctx, directive["name"], directive["arg"], options, body)
            )
            i = j + 1
            continue
        plain = _PLAIN_FENCE_RE.match(line)
        if plain:
            fence = plain["fence"]
            j = i + 1
            while j < len(lines) and lines[j].strip() != fence:
                j += 1
            out.extend(lines[i : j + 1])
            i = j + 1
            continue
        if _LABEL_RE.match(line):
            i += 1
            continue
        display = _DISPLAY_LABEL_RE.match(line)
        if display:
            number = ctx.doc.equations[display["label"]]
            body = display["body"].rstrip()
            out.append(
                f"{body} \\tag{{{number}}} $$"
                if body.strip()
                else f"\\tag{{{number}}}\n$$"
            )
            i += 1
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            out.append(_heading(ctx, heading))
            i += 1
            continue
    flush()
    return out


def _heading(ctx: Context, heading: re.Match) -> str:
    level = len(heading["hashes"])
    text = _inline(ctx, heading["text"])
    if not ctx.doc.name.startswith("lectures/"):
        return f"{heading['hashes']} {text}"
    if level == 1:
        return f"# {ctx.doc.chapter}. {text}"
    depth = level - 1
    ctx.sections = (ctx.sections + [0] * depth)[:depth]
    ctx.sections[-1] += 1
    number = ".".join(str(n) for n in [ctx.doc.chapter, *ctx.sections])
    return f"{heading['hashes']} {number}. {text}"


# ----------------------------------------------------------------------------------------------
# Notebooks
# ----------------------------------------------------------------------------------------------


def launch_notebook(
    root: Path,
    index: Index,
    bib: Bibliography,
    docname: str,
    edition: str,
    glue: dict[str, dict[str, str]],
) -> nbformat.NotebookNode:
    """The launch notebook of one page in one edition (see the module docstring)."""
    doc = index.docs[docname]
    url, ref = repository(root)
    ctx = Context(Path(root), index, bib, doc, edition, glue)
    nb = copy.deepcopy(doc.nb)
    cells = []
    for number, cell in enumerate(nb.cells, start=1):
        cell.pop("id", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if _is_bootstrap(cell):
                continue  # the sources' own bootstrap, replaced by the generated one
        elif cell.cell_type == "markdown":
            ctx.where = f"cell {number}"
            cell.source = "\n".join(
                _convert_lines(ctx, cell.source.splitlines())
            ).strip("\n")
            if not cell.source.strip():
                continue
        cells.append(cell)
    first_code = next(
        (i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells)
    )
    bootstrap = nbformat.v4.new_code_cell(bootstrap_source(url, ref))
    bootstrap.pop("id", None)
    cells.insert(first_code, bootstrap)
    if ctx.cited:
        lines = ["## References", ""] + [f"- {bib.reference(key)}" for key in ctx.cited]
        cells.append(nbformat.v4.new_markdown_cell("\n".join(lines)))
        cells[-1].pop("id", None)
    nb.cells = cells
    nb.metadata = {
        "kernelspec": {
            "display_name": "Python 3",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
        "ml4phys": {
            "generated_from": f"{docname}{'.md' if (Path(root) / f'{docname}.md').exists() else '.ipynb'}",
            "edition": edition,
            "code_digests": {
                d: code_digest(index.docs[d].nb)
                for d in sorted({d for d, _ in ctx.glue_used})
            },
            "glue": {f"{d}::{k}": glue[d][k] for d, k in sorted(ctx.glue_used)},
        },
    }
    nb.nbformat, nb.nbformat_minor = NBFORMAT_VERSION, 4
    return nb


def source_docnames(root: Path) -> list[str]:
    root = Path(root)
    names = [
        f"lectures/{p.stem}"
        for p in sorted((root / "lectures").glob("[0-9][0-9]_*.md"))
    ]
    names += [
        f"solutions/{p.stem}"
        for p in sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb"))
    ]
    names += [
        f"exercises/{p.stem}"
        for p in sorted((root / "solutions").glob("[0-9][0-9]_*.ipynb"))
    ]
    names += [f"book/{p.stem}" for p in sorted((root / "book").glob("*.md"))]
    return names


def launch_targets(root: Path) -> list[tuple[str, str, Path]]:
    """``(docname, edition, target path)`` of every launch notebook."""
    root = Path(root)
    out = []
    for edition, layout in _LAYOUT.items():
        for folder, target in layout.items():
            pattern = (
                "[0-9][0-9]_*.md" if folder == "lectures" else "[0-9][0-9]_*.ipynb"
            )
            for path in sorted(
                (root / ("solutions" if folder == "exercises" else folder)).glob(
                    pattern
                )
            ):
                out.append(
                    (
                        f"{folder}/{path.stem}",
                        edition,
                        root / target / f"{path.stem}.ipynb",
                    )
                )
    return out


def stored_glue(targets: list[Path], index: Index) -> dict[str, dict[str, str]]:
    """The glued values that committed launch notebooks carry, for documents whose code is unchanged."""
    out: dict[str, dict[str, str]] = {}
    for target in targets:
        if not target.exists():
            continue
        meta = nbformat.read(target, as_version=NBFORMAT_VERSION).metadata.get(
            "ml4phys", {}
        )
        digests = meta.get("code_digests", {})
        for name, value in meta.get("glue", {}).items():
            docname, key = name.split("::", 1)
            if docname in index.docs and digests.get(docname) == code_digest(
                index.docs[docname].nb
            ):
                out.setdefault(docname, {})[key] = value
    return out


def generate(
    root: Path, use_cache: bool = True, cache_dir: Path | None = None
) -> list[tuple[Path, nbformat.NotebookNode]]:
    """Every launch notebook as it should be now: ``(target, notebook)``.

    Glued values come from the build's jupyter-cache for each page whose code the cache holds
    (``use_cache``), otherwise from the committed launch notebooks when the page's code is
    unchanged since they were written; a ``{glue}`` role with neither fails with a message
    that says to build first.
    """
    root = Path(root)
    index = Index(root, source_docnames(root))
    bib = Bibliography(root / "book" / "references.bib")
    targets = launch_targets(root)
    glue = stored_glue([target for _, _, target in targets], index)
    if use_cache:
        for docname, doc in index.docs.items():
            if docname.startswith(("lectures/", "solutions/")):
                values = glued_from_cache(root, docname, doc.nb, cache_dir)
                if values is not None:
                    glue[docname] = values
    return [
        (target, launch_notebook(root, index, bib, docname, edition, glue))
        for docname, edition, target in targets
    ]


def dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb, version=NBFORMAT_VERSION) + "\n"


# What a reader must never see in a launch notebook: roles, directives, labels, substitutions.
RAW_MYST_PATTERNS = {
    "role": re.compile(r"\{[a-z][\w:-]*\}`"),  # what is left of one after the scan
    "directive": re.compile(r"^\s*(?:>\s*)*(?:`{3,}|:{3,})\{", re.M),
    "label": re.compile(r"^\s*\([\w.:-]+\)=\s*$", re.M),
    "substitution": re.compile(r"\{\{[^}]*\}\}"),
    "option": re.compile(r"^\s*(?:>\s*)*:(?:label|class|name|tags|nonumber):", re.M),
}


def raw_myst(nb: nbformat.NotebookNode) -> list[str]:
    """Every raw MyST construct left in a notebook's Markdown: ``'cell N: kind: text'``."""
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "markdown":
            continue
        # listings and inline code may show anything, MyST included
        text = re.sub(
            r"(?ms)^(`{3,}|~{3,})(?!\{)[^\n]*\n.*?^\1[ \t]*$", "", cell.source
        )
        for match in _ROLE_OR_CODE_RE.finditer(text):
            if match["role"]:
                found.append(f"cell {number}: role: {match.group(0)[:60]}")
        for kind, pattern in RAW_MYST_PATTERNS.items():
            if kind == "role":
                continue  # found by the scan above, which knows code spans
            for match in pattern.finditer(text):
                found.append(f"cell {number}: {kind}: {match.group(0).strip()[:60]}")
    return found
