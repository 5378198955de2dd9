"""Lines of code of the package, and how many of them check inputs.

    python benchmarks/package_stats.py [SRC]       # default: src/ml4phys

A *code line* is a line holding a token of a statement (blank lines, comments and docstrings do
not count). A line is *input checking* when it belongs to

* a function whose name starts with ``check_`` or ``_check`` (a validator);
* an ``if`` statement whose body only raises ``TypeError`` or ``ValueError`` (an inline check);
* a statement that only calls a validator (``n = check_int(n, "n")``).

The self-checks of the exercises (``checks/``) are counted apart, by code lines only: checking is
their job. Compare two trees formatted alike (``ruff format``), since formatting changes line counts.
"""

from __future__ import annotations

import ast
import io
import json
import sys
import tokenize
from pathlib import Path

SKIP = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}


def _is_validator(name: str) -> bool:
    return name.startswith(("check_", "_check"))


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(
            node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
            ):
                if isinstance(body[0].value.value, str):
                    lines |= set(range(body[0].lineno, body[0].end_lineno + 1))
    # attribute docstrings: a bare string statement anywhere
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            lines |= set(range(node.lineno, node.end_lineno + 1))
    return lines


def _raises_only(body: list[ast.stmt]) -> bool:
    def is_raise(stmt: ast.stmt) -> bool:
        if not isinstance(stmt, ast.Raise) or stmt.exc is None:
            return False
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(exc, ast.Name) and exc.id in ("TypeError", "ValueError")

    return bool(body) and all(is_raise(s) for s in body)


def _calls_validator(stmt: ast.stmt) -> bool:
    value = getattr(stmt, "value", None)
    if not isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign)) or not isinstance(
        value, ast.Call
    ):
        return False
    func = value.func
    name = (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else ""
    )
    return _is_validator(name)


def file_stats(path: Path) -> tuple[int, int]:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    code: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type not in SKIP:
            code |= set(range(tok.start[0], tok.end[0] + 1))
    code -= _docstring_lines(tree)
    checking: set[int] = set()
    for node in ast.walk(tree):
        span = None
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_validator(
            node.name
        ):
            span = (node.lineno, node.end_lineno)
        elif isinstance(node, ast.If) and _raises_only(node.body) and not node.orelse:
            span = (node.lineno, node.end_lineno)
        elif isinstance(node, ast.stmt) and _calls_validator(node):
            span = (node.lineno, node.end_lineno)
        if span:
            checking |= set(range(span[0], span[1] + 1))
    return len(code), len(code & checking)


def main(argv: list[str]) -> int:
    src = (
        Path(argv[0])
        if argv
        else Path(__file__).resolve().parents[1] / "src" / "ml4phys"
    )
    totals = {"package": [0, 0], "checks": [0, 0]}
    for path in sorted(src.rglob("*.py")):
        part = "checks" if "checks" in path.relative_to(src).parts else "package"
        n_code, n_check = file_stats(path)
        totals[part][0] += n_code
        totals[part][1] += n_check
    (c, k), (c_checks, _) = totals["package"], totals["checks"]
    report = {
        "package": {
            "code_lines": c,
            "input_checking_lines": k,
            "share": round(k / c, 3) if c else 0.0,
        },
        "checks": {"code_lines": c_checks},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
