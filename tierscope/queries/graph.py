"""The SQL layer as a graph: which model file defines what, what it reads, and the order to create them in.

Models are the files under ``queries/sql`` in the model folders (``schema``, ``staging``, ``intermediate``,
``derived``, ``marts``) and every ``*macros.sql``: stored tables, scalar macros, views, table macros, derived table
definitions. Step scripts (``steps/``, ``ingest/``: statements Python runs in order) are not models. What a model
reads is found in its SQL (parsed with sqlglot, DuckDB dialect): the relations it selects from, the string
arguments of ``query_table('name')``, and the macros it calls. A reference to a name nothing defines, or a cycle,
is an error (:class:`GraphError`), so a model can never be created before what it reads, and each derived table's
fingerprint covers exactly the SQL and config tables it depends on.

Parsing every file takes about a second, so the references are kept in ``sql/graph.json``, keyed by each file's
content hash (``python -m tierscope.queries.graph`` rewrites it; a test checks it is fresh); a file whose hash is not
there is parsed when the graph is built.
"""

from __future__ import annotations

import functools
import graphlib
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"
CACHE_PATH = SQL_DIR / "graph.json"
MODEL_FOLDERS = ("schema", "staging", "intermediate", "derived", "marts")
SCHEMA = "schema/tables.sql"
# Relations a model may read that no SQL file defines: the config tables (queries/db.py writes them from the YAML
# files) and the what-if scenarios (queries/scenario.py registers them on the calling connection).
CONFIG_TABLES = (
    "cfg_models",
    "cfg_model_aliases",
    "cfg_prices",
    "cfg_tiers",
    "cfg_tasks",
    "cfg_task_type_rules",
    "cfg_settings",
    "cfg_drift",
    "cfg_profiling",
)
REGISTERED = ("scenario_tiers", "scenario_tasks", "scenario_settings")


class GraphError(ValueError):
    """The SQL layer reads a name nothing defines, or its models read each other in a cycle."""


@dataclass(frozen=True)
class Model:
    """One model file: what it defines and what it reads (names of relations and macros)."""

    path: str
    text: str
    defines: tuple[str, ...]
    relations: tuple[str, ...]
    strings: tuple[str, ...]
    calls: tuple[str, ...]
    local_names: tuple[str, ...]

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:32]

    @property
    def kind(self) -> str:
        """schema, macros, derived (a table), table_macro or view."""
        if self.path == SCHEMA:
            return "schema"
        if self.path.endswith("macros.sql"):
            return "macros"
        if self.path.startswith("derived/"):
            return "derived"
        return "table_macro" if self.text.startswith("-- params:") else "view"

    def definition(self) -> str:
        """The statement(s) creating it: a view or table macro around a query file, the file itself otherwise."""
        if self.kind == "table_macro":
            params = self.text.splitlines()[0].removeprefix("-- params:").strip()
            return f"create or replace macro {self.defines[0]}({params}) as table\n{self.text}"
        if self.kind == "view":
            return f"create or replace view {self.defines[0]} as\n{self.text}"
        return self.text


def model_paths(sql_dir: Path = SQL_DIR) -> list[str]:
    """Every model file, relative to sql_dir, sorted."""
    paths = {
        path.relative_to(sql_dir).as_posix() for folder in MODEL_FOLDERS for path in (sql_dir / folder).glob("*.sql")
    }
    paths |= {path.relative_to(sql_dir).as_posix() for path in sql_dir.glob("*/*macros.sql")}
    return sorted(paths)


def _defines(path: str, text: str) -> tuple[str, ...]:
    if path == SCHEMA:
        return tuple(re.findall(r"create table if not exists (\w+)", text))
    if path.endswith("macros.sql"):
        return tuple(re.findall(r"create or replace macro (\w+)", text))
    return (Path(path).stem,)


def _without_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text)


def _parse(path: str, text: str) -> dict[str, list[str]]:
    """The relations a model selects from, its string literals (a macro's argument or query_table('name') can name a
    relation), and the names of its CTEs."""
    import sqlglot
    from sqlglot import exp

    try:
        trees = sqlglot.parse(text, dialect="duckdb")
    except sqlglot.errors.ParseError as error:
        raise GraphError(f"{path}: cannot parse: {str(error).splitlines()[0]}") from error
    relations: set[str] = set()
    strings: set[str] = set()
    local_names: set[str] = set()
    for tree in trees:
        if tree is None:
            continue
        local_names |= {cte.alias.lower() for cte in tree.find_all(exp.CTE)}
        relations |= {
            table.name.lower() for table in tree.find_all(exp.Table) if isinstance(table.this, exp.Identifier)
        }
        strings |= {literal.this.lower() for literal in tree.find_all(exp.Literal) if literal.is_string}
    return {"relations": sorted(relations), "strings": sorted(strings), "local_names": sorted(local_names)}


def _cache() -> dict[str, dict[str, list[str] | str]]:
    try:
        loaded: dict[str, dict[str, list[str] | str]] = json.loads(CACHE_PATH.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return loaded


# a name followed by an opening parenthesis: a macro or function call (the defined ones are kept)
_CALLED = re.compile(r"\b(\w+)\s*\(")


def _models(sql_dir: Path, cached: dict[str, dict[str, list[str] | str]]) -> dict[str, Model]:
    texts = {path: (sql_dir / path).read_text(encoding="utf-8") for path in model_paths(sql_dir)}
    defined = {name for path, text in texts.items() for name in _defines(path, text)}
    models = {}
    for path, text in texts.items():
        sha = hashlib.sha256(text.encode()).hexdigest()[:32]
        entry = cached.get(path)
        if path == SCHEMA:  # the stored tables read nothing (its statements create, alter and rename tables)
            parsed: dict[str, list[str] | str] = {"relations": [], "strings": [], "local_names": []}
        elif entry is not None and entry.get("sha") == sha:
            parsed = entry
        else:
            parsed = dict(_parse(path, text))
        body = _without_comments(text)
        calls = sorted(defined.intersection(_CALLED.findall(body)))
        models[path] = Model(
            path=path,
            text=text,
            defines=_defines(path, text),
            relations=tuple(parsed["relations"]),
            strings=tuple(parsed["strings"]),
            calls=tuple(calls),
            local_names=tuple(parsed["local_names"]),
        )
    return models


@dataclass(frozen=True)
class Graph:
    """The model files in creation order, and what each one reads, directly and through others."""

    models: dict[str, Model]
    reads: dict[str, frozenset[str]]
    externals: dict[str, frozenset[str]]
    order: tuple[str, ...]

    def closure(self, path: str) -> tuple[frozenset[str], frozenset[str]]:
        """The model files and the external tables (config, registered) a model depends on, itself included."""
        seen: set[str] = set()
        pending = [path]
        while pending:
            current = pending.pop()
            if current not in seen:
                seen.add(current)
                pending.extend(self.reads[current])
        externals = frozenset(name for current in seen for name in self.externals[current])
        return frozenset(seen), externals

    def derived(self) -> tuple[str, ...]:
        """The derived table definitions, in creation order."""
        return tuple(path for path in self.order if self.models[path].kind == "derived")


def build(sql_dir: Path = SQL_DIR, *, use_cache: bool = True) -> Graph:
    """The graph of the model files under sql_dir; a :class:`GraphError` for an unknown reference or a cycle."""
    models = _models(sql_dir, _cache() if use_cache and sql_dir == SQL_DIR else {})
    owner = {name: path for path, model in models.items() for name in model.defines}
    external = set(CONFIG_TABLES) | set(REGISTERED)
    reads: dict[str, frozenset[str]] = {}
    externals: dict[str, frozenset[str]] = {}
    for path, model in models.items():
        local = set(model.local_names) | set(model.defines)
        unknown = sorted(set(model.relations) - local - set(owner) - external)
        if unknown:
            raise GraphError(f"{path}: reads {', '.join(unknown)}, which no SQL file defines")
        # a CTE may share its name with the relation it reads (with calls as (select * from calls)): a name that
        # something defines counts as read; a string naming a relation is read (a macro's or query_table's argument)
        names = set(model.relations) | (set(model.strings) & (set(owner) | external)) | set(model.calls)
        reads[path] = frozenset(owner[name] for name in names if name in owner and owner[name] != path)
        externals[path] = frozenset(name for name in names if name in external)
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for path in sorted(models):
        sorter.add(path, *sorted(reads[path]))
    try:
        order = tuple(sorter.static_order())
    except graphlib.CycleError as error:
        raise GraphError(f"the SQL files read each other in a cycle: {' -> '.join(error.args[1])}") from error
    return Graph(models=models, reads=reads, externals=externals, order=order)


@functools.cache
def current() -> Graph:
    """The graph of the installed SQL layer (built once per process)."""
    return build()


def layer_fingerprint(sql_dir: Path = SQL_DIR) -> str:
    """A hash of every model file's text: unchanged SQL needs nothing re-created."""
    digest = hashlib.sha256()
    for path in model_paths(sql_dir):
        digest.update(path.encode())
        digest.update((sql_dir / path).read_bytes())
    return digest.hexdigest()[:32]


def cache_text(graph: Graph) -> str:
    """graph.json: each model file's content hash, the relations it reads and its local names."""
    entries = {
        path: {
            "sha": model.sha,
            "relations": list(model.relations),
            "strings": list(model.strings),
            "local_names": list(model.local_names),
        }
        for path, model in sorted(graph.models.items())
    }
    return json.dumps(entries, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(cache_text(build(use_cache=False)))
