"""The price book, the routing map and the budgets: one validating declaration of what each YAML file may say.

Both files are parsed with a subclass of ``yaml.SafeLoader`` (``yaml.safe_load`` semantics, plus: a key given twice
in one mapping and a date that does not exist are errors) and validated by pydantic models that forbid unknown keys.
Every error is a :class:`ConfigError` naming the file and the key path (``models.gpt-4o.prices[1].input``) or line.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tierscope.errors import UserError
from tierscope.settings import settings

MAX_CONFIG_BYTES = 2_000_000
# The key path of a validation problem about a whole file rather than one key.
TOP_LEVEL = "(top level)"
ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigError(UserError, ValueError):
    """A configuration file that cannot be used; the message names the file and the key path."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceVariant(_Strict):
    """Prices (USD per 1M tokens) that override the standard ones; a missing key inherits the standard price."""

    input: float | None = Field(default=None, ge=0)
    output: float | None = Field(default=None, ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    cache_write: float | None = Field(default=None, ge=0)
    reasoning: float | None = Field(default=None, ge=0)


class PriceEntry(_Strict):
    """One effective-dated price of a model, USD per 1M tokens."""

    effective_from: dt.date
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)
    cache_write: float | None = Field(default=None, ge=0)
    reasoning: float | None = Field(default=None, ge=0)
    batch: PriceVariant | None = None
    flex: PriceVariant | None = None
    priority: PriceVariant | None = None
    above_tokens: int | None = Field(default=None, gt=0)
    above: PriceVariant | None = None

    @model_validator(mode="after")
    def _above_pair(self) -> PriceEntry:
        if (self.above_tokens is None) != (self.above is None):
            raise ValueError("above_tokens and above must be given together")
        return self


VARIANTS = ("batch", "flex", "priority")


class ModelPrices(_Strict):
    provider: str | None = None
    context_window: int | None = Field(default=None, gt=0)
    aliases: list[str] = Field(default_factory=list)
    prices: list[PriceEntry] = Field(min_length=1)

    @field_validator("prices")
    @classmethod
    def _oldest_first(cls, prices: list[PriceEntry]) -> list[PriceEntry]:
        dates = [entry.effective_from for entry in prices]
        if dates != sorted(set(dates)):
            raise ValueError("prices must be ordered oldest first, one entry per effective_from date")
        return prices


class PriceBook(_Strict):
    models: dict[str, ModelPrices]

    @model_validator(mode="after")
    def _unique_names(self) -> PriceBook:
        owner: dict[str, str] = {}
        for model, spec in self.models.items():
            for name in [model, *spec.aliases]:
                key = name.lower()
                if key in owner and owner[key] != model:
                    raise ValueError(f"alias {name!r} of {model!r} is already a name of {owner[key]!r}")
                owner[key] = model
        return self


class DriftRule(_Strict):
    threshold: float = Field(default=0.15, ge=0)
    mode: Literal["relative", "absolute"] = "relative"
    window: str = "1d"
    min_requests: int = Field(default=50, ge=1)
    baseline_days: int = Field(default=7, ge=1)

    @field_validator("window")
    @classmethod
    def _window(cls, window: str) -> str:
        if not re.fullmatch(r"[1-9][0-9]*[mhd]", window):
            raise ValueError("window must look like 30m, 6h or 1d")
        return window

    @property
    def window_seconds(self) -> int:
        unit = {"m": 60, "h": 3600, "d": 86400}[self.window[-1]]
        return int(self.window[:-1]) * unit


class ProfilingRule(_Strict):
    """How pass rates from a profiling run become a tier recommendation (the article's rule)."""

    route_at: float = Field(default=0.95, ge=0, le=1)
    monitor_at: float = Field(default=0.85, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> ProfilingRule:
        if self.monitor_at > self.route_at:
            raise ValueError("monitor_at must not exceed route_at")
        return self


class TaskTypeRule(_Strict):
    """Where a call's task type comes from: exactly one of a canonical field, a tag prefix or a source attribute."""

    field: Literal["task_type"] | None = None
    tag_prefix: str | None = Field(default=None, min_length=1)
    attribute: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> TaskTypeRule:
        given = [name for name in ("field", "tag_prefix", "attribute") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("a task_type_from rule names exactly one of field, tag_prefix or attribute")
        return self

    @property
    def kind(self) -> str:
        return next(name for name in ("field", "tag_prefix", "attribute") if getattr(self, name) is not None)

    @property
    def key(self) -> str:
        return str(getattr(self, self.kind))


# What each log format carries (ingest/formats/): a task_type field (generic); a request tag task_type:<type> (LiteLLM
# request_tags, Langfuse trace tags); a task_type key in the source's attributes (LiteLLM requester / spend-logs
# metadata, Langfuse metadata, a Helicone Task-Type property, a batch custom_id segment); an app.task_type span
# attribute (OpenTelemetry, custom attributes go in the application's namespace).
DEFAULT_TASK_TYPE_RULES = (
    TaskTypeRule(field="task_type"),
    TaskTypeRule(tag_prefix="task_type:"),
    TaskTypeRule(attribute="task_type"),
    TaskTypeRule(attribute="app.task_type"),
)


class TaskProfile(_Strict):
    tier: str
    baseline_escalation_rate: float | None = Field(default=None, ge=0, le=1)
    blast_radius: Literal["low", "medium", "high"] = "medium"
    expected_output_tokens: int | None = Field(default=None, ge=0)
    quality_gate: str | None = None
    requests_per_day: float | None = Field(default=None, ge=0)


class Routing(_Strict):
    tiers: dict[str, list[str]]
    default_tier: str
    context_guard_ratio: float = Field(default=0.8, gt=0, le=1)
    drift: DriftRule = Field(default_factory=DriftRule)
    profiling: ProfilingRule = Field(default_factory=ProfilingRule)
    task_type_from: list[TaskTypeRule] = Field(default_factory=lambda: list(DEFAULT_TASK_TYPE_RULES), min_length=1)
    tasks: dict[str, TaskProfile] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _tiers_known(self) -> Routing:
        if not self.tiers:
            raise ValueError("tiers must name at least one tier")
        seen: dict[str, str] = {}
        for tier, models in self.tiers.items():
            if not models:
                raise ValueError(f"tier {tier!r} lists no model")
            for model in models:
                if model in seen:
                    raise ValueError(f"model {model!r} is in both {seen[model]!r} and {tier!r}")
                seen[model] = tier
        if self.default_tier not in self.tiers:
            raise ValueError(f"default_tier {self.default_tier!r} is not one of the tiers {list(self.tiers)}")
        for task, profile in self.tasks.items():
            if profile.tier not in self.tiers:
                raise ValueError(f"tasks.{task}.tier {profile.tier!r} is not one of the tiers {list(self.tiers)}")
        return self

    def tier_of_task(self, task_type: str) -> str:
        profile = self.tasks.get(task_type)
        return profile.tier if profile else self.default_tier


Limit = Annotated[float, Field(gt=0)]
BudgetScope = Literal["total", "team", "task_type", "provider"]


class Budgets(_Strict):
    """Monthly spend limits (USD per calendar month, UTC) for the total, a team, a task type or a provider. Apart from
    routing.yaml on purpose: a budget edit must not reprice anything (routing.yaml is part of the derived tables'
    fingerprint), and finance owns it, not the people who route."""

    total: Limit | None = None
    team: dict[str, Limit] = Field(default_factory=dict)
    task_type: dict[str, Limit] = Field(default_factory=dict)
    provider: dict[str, Limit] = Field(default_factory=dict)

    def rows(self) -> list[dict[str, object]]:
        """One row per budget, ``{"scope", "name", "limit_usd"}`` (name None for the total), in file order."""
        rows: list[dict[str, object]] = []
        if self.total is not None:
            rows.append({"scope": "total", "name": None, "limit_usd": self.total})
        for scope in ("team", "task_type", "provider"):
            limits: dict[str, float] = getattr(self, scope)
            rows += [{"scope": scope, "name": name, "limit_usd": limit} for name, limit in limits.items()]
        return rows


class BudgetFile(_Strict):
    budgets: Budgets = Field(default_factory=Budgets)


def _key_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or TOP_LEVEL


class _DuplicateKeyError(yaml.YAMLError):
    """A key given twice in one mapping (safe_load would keep the second silently)."""

    def __init__(self, key: object, first_line: int, second_line: int) -> None:
        super().__init__(
            f"key {key!r} given twice (lines {first_line} and {second_line}); a key may appear once in a mapping"
        )


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses what safe_load lets through: a key given twice in one mapping (the second
    would replace the first) and a date that does not exist (2024-02-30, a ValueError from deep inside PyYAML)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # '<<' keys are merged and may be overridden, by design
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in first_lines:
                    raise _DuplicateKeyError(key, first_lines[key], line)
            except TypeError:  # an unhashable key: SafeLoader's own error says so
                continue
            first_lines[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as error:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value} is not a date ({error})", node.start_mark
            ) from error


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def _read_yaml(path: Path) -> Any:
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a file")
    try:
        size = path.stat().st_size
        data = path.read_bytes() if size <= MAX_CONFIG_BYTES else b""
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror})") from error
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: {size} bytes is over the {MAX_CONFIG_BYTES} byte limit for a config file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); save it as UTF-8"
        ) from error
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe_load's semantics
    except _DuplicateKeyError as error:
        raise ConfigError(f"{path}: {error}") from error
    except yaml.reader.ReaderError as error:  # a character YAML does not allow (a NUL byte, say)
        character = error.character if isinstance(error.character, str) else chr(error.character)
        raise ConfigError(
            f"{path}: not valid YAML: {error.reason} {character!r} at character {error.position}"
        ) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{path}:{where} not valid YAML: {problem}") from error
    except RecursionError as error:
        raise ConfigError(f"{path}: not valid YAML: nested too deeply") from error


def validation_problems(error: ValidationError) -> list[tuple[str, str]]:
    """Each problem of a failed validation as (key path, message in words); the key path of a rule about the whole
    map (a model listed in two tiers, say) is :data:`TOP_LEVEL`."""
    problems = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        problems.append((_key_path(item["loc"]), message))
    return problems


def _validate(path: Path, model: type[ModelT]) -> ModelT:
    data = _read_yaml(path)
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as error:
        problems = [f"{path}: {key}: {message}" for key, message in validation_problems(error)]
        raise ConfigError("\n".join(problems)) from None


def load_price_book(path: str | os.PathLike[str] | None = None) -> PriceBook:
    """The price book at ``path``, else ``$TIERSCOPE_PRICES``, else the shipped default."""
    return _validate(Path(path or settings().prices), PriceBook)


def load_routing(path: str | os.PathLike[str] | None = None) -> Routing:
    """The routing map at ``path``, else ``$TIERSCOPE_ROUTING``, else the shipped default."""
    return _validate(Path(path or settings().routing), Routing)


def load_budgets(path: str | os.PathLike[str] | None = None) -> Budgets:
    """The budgets at ``path``, else ``$TIERSCOPE_BUDGETS``, else none."""
    chosen = path or settings().budgets
    return _validate(Path(chosen), BudgetFile).budgets if chosen else Budgets()
