"""Every number the book states is glued from its computation: the prose-number scan."""

from pathlib import Path

import pytest

import prose_numbers

ROOT = Path(__file__).resolve().parents[2]


def numbers(source: str) -> list[str]:
    return [number for number, _ in prose_numbers.typed_numbers(source)]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("The network reaches an accuracy of 0.93 on the test set.", ["0.93"]),
        ("It recognises 89.7 % of the images.", ["89.7 %"]),
        ("The loss falls to 3e-4 after training.", ["3e-4"]),
        ("The loss falls to -0.25.", ["-0.25"]),
        ("Newton converges to $d_\\text{max} \\approx 5.2569$.", ["5.2569"]),
        ("The slope falls as $2\\times10^{-2}$.", ["2\\times10^"]),
        ("It is $\\sigma_w \\approx 1.40$.", ["1.40"]),
        ("$$\nL \\approx 0.076\n$$", ["0.076"]),
        ("```{exercise}\n:label: e\nThe model scores 0.5 here.\n```", ["0.5"]),
        (":::{note}\nIt scores 0.5.\n:::", ["0.5"]),
        ("A first sentence. It scores 0.75 without a source.", ["0.75"]),
    ],
)
def test_typed_results_are_found(source, expected):
    assert numbers(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "The network reaches {glue:text}`ch01_accuracy:.1%` on the test set.",
        "Noise of standard deviation $\\sigma = 0.3$ is added; the tolerance is $10^{-3}$.",
        "For the bowl above, $\\eta^* = 2/11 \\approx 0.18$.",
        "By Stirling, $2^{-29} \\approx 2\\times 10^{-9}$ over 30 layers.",
        "Near $\\log 10 \\approx 2.30$, the loss of guessing.",
        "Exercise 1.1 and Exercises 2.3 and 2.4 use Section 3.2; Python 3.11 runs it.",
        "The model of {cite}`kaplan2020` has an exponent of 0.076.",
        "The check requires an accuracy of at least 95 % on fresh images.",
        "Call `f(0.5)` and read ``x = 1.5``.",
        "```{code-cell} ipython3\nprint(0.123)\n```",
        "```{math}\nx \\approx 0.5\n```",
        "See {math}`\\alpha = 0.5` and the 3 layers of 16 units.",
    ],
)
def test_glued_settings_math_references_and_citations_are_not_reported(source):
    assert numbers(source) == []


def test_the_sentence_is_reported_with_the_number():
    ((number, sentence),) = prose_numbers.typed_numbers(
        "Fine. The error is 0.31 here.\n"
    )
    assert number == "0.31"
    assert sentence == "The error is 0.31 here."


def test_scan_reports_typed_numbers_and_stale_exceptions(tmp_path, monkeypatch):
    (tmp_path / "lectures").mkdir()
    (tmp_path / "lectures" / "01_x.md").write_text(
        "---\njupytext:\n  text_representation:\n    format_name: myst\n---\n\n"
        "# Title\n\nIt reaches 0.93. A setting of 0.25 is used.\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(
        prose_numbers,
        "EXCEPTIONS",
        {"lectures/01_x.md": [(r"setting of 0\.25", "a setting"), (r"gone", "stale")]},
    )
    findings, stale = prose_numbers.scan(tmp_path)
    assert [f.number for f in findings] == ["0.93"]
    assert stale == ["lectures/01_x.md: exception 'gone' matches no sentence"]


def test_no_number_in_the_book_prose_is_typed():
    findings, stale = prose_numbers.scan(ROOT)
    report = "\n".join([str(f) for f in findings] + stale)
    assert not findings and not stale, (
        "numbers typed into the prose instead of glued (glue them, or list a setting or "
        f"tolerance in book/tools/prose_numbers.py EXCEPTIONS with its reason):\n{report}"
    )
