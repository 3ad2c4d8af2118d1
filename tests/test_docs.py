"""The docs hold true: every ```console example in README.md and docs/*.md is run and its output compared, and the
CLI reference (docs/cli.md) is the parser's own help.

An example is a `$ command` line followed by its expected output. Comparison rules, so that examples stay readable:
runs of spaces count as one; a duration such as `2.1s` matches any duration; a line that is only `...` stands for any
number of lines; `...` inside a line stands for any text. The README's examples run in an empty folder; every other
document's in a folder holding `tour.duckdb` (the README's first two files loaded). Commands run through bash with
this environment's `tierscope` first on the PATH.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE_LOGS
from tierscope.cli.reference import reference

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
DURATION = re.compile(r"\b\d+(\.\d+)?s\b")


@dataclass(frozen=True)
class Example:
    command: str
    expected: list[str]


def examples(document: Path) -> list[Example]:
    """The `$ command` + output pairs of a document's ```console blocks, in order."""
    found: list[Example] = []
    for block in re.findall(r"```console\n(.*?)```", document.read_text(encoding="utf-8"), re.DOTALL):
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, *output = chunk.rstrip("\n").split("\n")
            found.append(Example(command, output))
    return found


def _normal(line: str) -> str:
    return " ".join(DURATION.sub("Ns", line).split())


def _line_matches(expected: str, actual: str) -> bool:
    parts = [re.escape(_normal(part)) for part in expected.split("...")]
    return re.fullmatch(r".*".join(parts), _normal(actual)) is not None


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the output fits the example (see the module's rules)."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head.strip() == "...":
        return any(matches(rest, actual[skip:]) for skip in range(len(actual) + 1))
    return bool(actual) and _line_matches(head, actual[0]) and matches(rest, actual[1:])


@pytest.fixture(scope="module")
def tour_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _folder(tmp_path_factory.mktemp("tour"))
    _run("tierscope ingest tierscope/sample_logs/requests.jsonl.gz tierscope/sample_logs/requests_export.csv "
         "--db tour.duckdb", folder)  # fmt: skip
    return folder / "tour.duckdb"


def _folder(path: Path) -> Path:
    """A working folder where tierscope/sample_logs/ is the package's sample logs, as in a checkout."""
    (path / "tierscope").mkdir()
    (path / "tierscope" / "sample_logs").symlink_to(SAMPLE_LOGS)
    return path


def _run(command: str, cwd: Path) -> list[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("TIERSCOPE_DB", None)
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    return done.stdout.rstrip("\n").split("\n") if done.stdout.strip() else []


DOCUMENTS_WITH_EXAMPLES = [document for document in DOCS if examples(document)]


@pytest.mark.parametrize("document", DOCUMENTS_WITH_EXAMPLES, ids=lambda path: path.name)
def test_examples_print_what_the_docs_say(document: Path, tmp_path: Path, tour_db: Path) -> None:
    folder = _folder(tmp_path)
    if document.name != "README.md":
        shutil.copy(tour_db, folder / "tour.duckdb")
    for example in examples(document):
        actual = _run(example.command, folder)
        assert matches(example.expected, actual), f"{document.name}: `$ {example.command}` printed:\n" + "\n".join(
            actual
        )


def test_the_readme_has_a_tour() -> None:
    commands = [example.command.split()[1] for example in examples(REPO / "README.md")]
    assert commands == ["ingest", "report", "drift", "profile", "whatif"]


def test_the_matching_rules_can_fail() -> None:
    assert matches(["a  b", "...", "end 2.1s"], ["a b", "x", "y", "end 13.0s"])
    assert not matches(["a", "end"], ["a", "x", "end"])
    assert not matches(["total: $1.00"], ["total: $2.00"])
    assert matches(["x ... z"], ["x anything z"]) and not matches(["x ... z"], ["x anything"])


def test_the_cli_reference_is_the_parsers_help() -> None:
    """docs/cli.md is generated (`make docs`); a command or option changed without regenerating it fails here."""
    assert (REPO / "docs" / "cli.md").read_text(encoding="utf-8") == reference()


def test_every_document_is_linked_from_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert [doc.name for doc in DOCS[1:] if f"docs/{doc.name}" not in readme] == []


def test_the_readme_is_a_front_door() -> None:
    assert len((REPO / "README.md").read_bytes()) <= 12_000
