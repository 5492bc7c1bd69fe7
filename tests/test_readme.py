"""The README's notebook example runs as written (on a small slice of the digits, to be quick)."""

import re
from pathlib import Path

from engine import datasets

README = Path(__file__).resolve().parents[1] / "README.md"


def notebook_example():
    text = README.read_text()
    section = text.split("## The engine in a notebook", 1)[1].split("\n## ", 1)[0]
    lines = [line[4:] for line in section.splitlines() if line.startswith("    ")]
    return "\n".join(line for line in lines if not line.startswith("pip "))


def test_the_notebook_example_runs(monkeypatch, capsys):
    x, y, xt, yt = datasets.load_digits()
    monkeypatch.setattr(datasets, "load_digits", lambda: (x[:640], y[:640], xt[:100], yt[:100]))
    code = notebook_example()
    assert len(code.splitlines()) <= 10
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert re.search(r"\[0\.\d+\]", printed) and "Total" in printed and "204,906" in printed
