"""Generate the tierscope demo logs: a month of LLM calls, a CSV export and a synthetic profiling run.

Usage: ``python sample_logs/generate.py [--out DIR] [--seed 7] [--calls 100000]``

Outputs are byte-identical for the same seed and call count (seeded ``random.Random`` streams, gzip
``mtime=0``, no wall clock):

- ``requests.jsonl.gz``: the generic log format (docs/formats.md), one call per line, 2026-10-28 to
  2026-11-26 (UTC). Traces follow config/routing.yaml: a first call on the task's tier, a cascade
  escalation to the next tier when the quality gate fails (at the task's baseline escalation rate),
  provider fallbacks, an extraction drift episode in the last 7 days, long-context calls, batch summaries
  and ``reported_cost_usd`` computed from config/prices.yaml on a share of rows. Besides ``--calls`` valid
  rows it holds counted dirt: duplicate and malformed lines; among the valid rows, unknown models and rows
  without ``served_model`` or ``task_type``.
- ``requests_export.csv``: extra calls under common alias column names (timestamp, model,
  prompt_tokens...), with three bad rows.
- ``profiling_results.jsonl``: every profiling prompt of each task type run on tier1, tier2 and tier3
  (the first model of each tier), graded ``passed``/``score``; one row per prompt x tier.

Token counts follow the canonical convention: ``input_tokens`` includes cached and cache-write tokens and
``output_tokens`` includes reasoning tokens. A summary of what was generated (every dirt count included)
is printed as JSON.
"""

from __future__ import annotations

import argparse
import csv
import functools
import gzip
import io
import json
import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

Row = dict[str, Any]

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config"
DEFAULT_OUT = Path(__file__).resolve().parent

PERIOD_START = datetime(2026, 10, 28, tzinfo=UTC)
PERIOD_DAYS = 30
DAY_MS = 86_400_000
PERIOD_START_MS = int(PERIOD_START.timestamp()) * 1000
# Exclusive: the last call starts before 2026-11-27T00:00Z.
PERIOD_END_MS = PERIOD_START_MS + PERIOD_DAYS * DAY_MS
# Traces start at least 10 minutes before the period ends so that their follow-up calls stay inside it.
LAST_TRACE_START_MS = PERIOD_END_MS - 600_000

# Traffic shape: UTC hour-of-day weights (US and EU business hours overlap), quieter weekends,
# US Thanksgiving on 2026-11-26 and a mild growth over the month.
HOURLY_WEIGHTS = (
    0.30, 0.25, 0.22, 0.20, 0.20, 0.24, 0.32, 0.45, 0.62, 0.78, 0.90, 0.97,
    1.00, 1.00, 0.98, 0.97, 0.95, 0.90, 0.80, 0.68, 0.56, 0.46, 0.40, 0.34,
)  # fmt: skip
WEEKEND_FACTOR = 0.42
HOLIDAYS = {date(2026, 11, 26): 0.55}
MONTHLY_GROWTH = 0.10


@dataclass(frozen=True)
class TaskShape:
    """How one task type's traffic looks: share of traces, token ranges, prompt caching and owning teams."""

    share: float
    input_tokens: tuple[int, int]
    output_tokens: tuple[int, int]
    cache_hit_rate: float
    cached_share: tuple[float, float]
    owners: tuple[tuple[str, str, float], ...]  # (team, feature, weight)


TASK_SHAPES: dict[str, TaskShape] = {
    "classification": TaskShape(
        0.30, (300, 800), (5, 30), 0.0, (0.0, 0.0),
        (("support", "ticket-triage", 0.7), ("growth", "lead-scoring", 0.3)),
    ),
    "extraction": TaskShape(
        0.25, (1_000, 4_000), (150, 600), 0.30, (0.30, 0.60),
        (("platform", "invoice-parser", 0.65), ("data-science", "contract-extractor", 0.35)),
    ),
    "rag_answer": TaskShape(
        0.20, (3_000, 12_000), (200, 600), 0.85, (0.50, 0.80),
        (("search", "kb-answers", 0.75), ("support", "support-copilot", 0.25)),
    ),
    "summarization": TaskShape(
        0.12, (4_000, 30_000), (200, 800), 0.10, (0.05, 0.20),
        (("growth", "weekly-digest", 0.6), ("support", "ticket-summary", 0.4)),
    ),
    "reasoning": TaskShape(
        0.08, (1_000, 5_000), (800, 4_000), 0.20, (0.20, 0.50),
        (("data-science", "agent-planner", 0.8), ("platform", "incident-analyzer", 0.2)),
    ),
    "code_generation": TaskShape(
        0.05, (2_000, 20_000), (500, 3_000), 0.45, (0.30, 0.70),
        (("platform", "code-assist", 0.85), ("data-science", "sql-writer", 0.15)),
    ),
}  # fmt: skip
TEAMS = ("search", "support", "growth", "platform", "data-science")
USER_COUNT = 300
STAGING_SHARE = 0.03

# Routing behaviour.
TIER_MODEL_WEIGHTS = (0.62, 0.20, 0.10)  # first three models of a tier; the rest share what is left equally
REQUESTED_TIER_ALIAS_SHARE = 0.70
SERVED_ALIAS_SHARE = 0.30
FALLBACK_RATE = 0.004
# In steady state tasks escalate well below their profiling baseline (profiling is conservative); the drift
# episode is the only time a task exceeds it.
STEADY_SHARE_OF_BASELINE = 0.5
SECOND_CALL_PASS_RATE = 0.95
DRIFT_TASK = "extraction"
DRIFT_START_MS = PERIOD_START_MS + 23 * DAY_MS  # 2026-11-20T00:00Z: the last 7 days
DRIFT_ESCALATION_RATE = 0.14
REASONING_MODELS = frozenset({"o3", "o4-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano"})
BATCH_TASK = "summarization"
BATCH_MODELS = frozenset({"gpt-4o", "gpt-4o-mini"})
BATCH_SHARE = 0.20
CACHE_WRITE_RATE_ON_HIT = 0.2  # new suffix written after the cached prefix
# Latency by tier: base ms and ms per output token (plus 0.02 ms per input token).
TIER_LATENCY = {"tier1": (250.0, 6.0), "tier2": (500.0, 14.0), "tier3": (1_200.0, 22.0)}
UNTIERED_LATENCY = (400.0, 10.0)

# Source-reported costs.
REPORTED_COST_SHARE = 0.30
DISAGREEING_COST_SHARE = 0.01
DISAGREEING_COST_FACTOR = 1.25
EPOCH_MS_SHARE = 0.05

# Special traffic and dirt (exact counts).
# Long-context calls as (task, calls, models, input token bounds): summaries above the 200k long-context price
# threshold, extractions above 80% of gpt-4o-mini's 128k window.
LONG_CONTEXT_PLANS: tuple[tuple[str, int, tuple[str, ...], tuple[int, int]], ...] = (
    ("summarization", 40, ("gemini-2.5-pro", "claude-sonnet-4-6"), (210_000, 400_000)),
    ("extraction", 30, ("gpt-4o-mini",), (105_000, 125_000)),
)
UNKNOWN_MODELS = {
    "mistral-large-2411": "mistral",
    "llama-3.3-70b-instruct": "together",
    "codestral-2501": "mistral",
}
UNKNOWN_MODEL_CALLS = 25
MISSING_SERVED_MODEL_CALLS = 20
MISSING_TASK_TYPE_CALLS = 60
DUPLICATE_LINES = 15
MIN_CALLS = 1_000
EXPLICIT_NULL_ROWS = 40
EXPLICIT_NULL_KEYS = ("quality_passed", "latency_ms", "user_id", "feature")
MALFORMED_KINDS = (
    "truncated_json",
    "not_json",
    "negative_output_tokens",
    "unparseable_started_at",
    "missing_request_id",
    "non_numeric_input_tokens",
)
MALFORMED_PER_KIND = 2
NOT_JSON_LINES = (
    "2026-11-04 03:12:55,120 WARNING litellm.router: upstream connect error before headers",
    "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>",
)
UNPARSEABLE_STARTED_AT = ("yesterday", "last tuesday, 3pm")
NON_NUMERIC_INPUT_TOKENS = ("n/a", "1.2k")

# CSV export and profiling run.
EXPORT_CALLS = 2_000
EXPORT_ERROR_RATE = 0.01
EXPORT_COLUMNS = (
    "timestamp",
    "request_id",
    "task_type",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "cached_input_tokens",
    "team",
    "feature",
    "status",
)
EXPORT_BAD_ROWS = ("negative_prompt_tokens", "empty_request_id", "bad_timestamp")
PROFILING_PROMPTS = 80
PROFILING_PASS_RATES: dict[str, tuple[float, float, float]] = {
    "classification": (0.97, 0.99, 0.99),
    "extraction": (0.93, 0.98, 0.99),
    "summarization": (0.80, 0.96, 0.98),
    "rag_answer": (0.84, 0.95, 0.98),
    "reasoning": (0.55, 0.86, 0.96),
    "code_generation": (0.45, 0.82, 0.95),
}
PASSING_SCORE = 0.7


@dataclass(frozen=True)
class PricedModel:
    """One model of the price book: provider, aliases and effective-dated price entries (oldest first)."""

    name: str
    provider: str
    aliases: tuple[str, ...]
    prices: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Usage:
    """Token counts of one call; input includes cached and cache-write tokens, output includes reasoning."""

    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True)
class Attribution:
    """Who made a trace: the same for every call in it."""

    user_id: str
    team: str
    feature: str
    env: str


def load_price_book(path: Path) -> dict[str, PricedModel]:
    """Read prices.yaml into models keyed by canonical name."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        name: PricedModel(
            name=name,
            provider=spec["provider"],
            aliases=tuple(spec.get("aliases", ())),
            prices=tuple(
                {**entry, "effective_from": date.fromisoformat(str(entry["effective_from"]))}
                for entry in spec["prices"]
            ),
        )
        for name, spec in document["models"].items()
    }


def to_datetime(epoch_ms: int) -> datetime:
    """UTC datetime of an epoch-millisecond instant, in exact integer arithmetic."""
    return PERIOD_START + timedelta(milliseconds=epoch_ms - PERIOD_START_MS)


def iso_z(epoch_ms: int) -> str:
    """ISO-8601 with milliseconds and a ``Z`` suffix."""
    return to_datetime(epoch_ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def unit_prices(entry: dict[str, Any], service_tier: str | None, input_tokens: int) -> dict[str, float]:
    """USD per 1M tokens for each token kind of a call under one price entry.

    The service-tier variant and then the long-context tier override the standard prices (keys they lack
    keep the standard price); a missing cached_input or cache_write price is the input price, a missing
    reasoning price the output price.
    """
    prices: dict[str, float] = {
        key: entry[key] for key in ("input", "output", "cached_input", "cache_write", "reasoning") if key in entry
    }
    if service_tier is not None and service_tier in entry:
        prices.update(entry[service_tier])
    if "above_tokens" in entry and input_tokens > entry["above_tokens"]:
        prices.update(entry["above"])
    prices.setdefault("cached_input", prices["input"])
    prices.setdefault("cache_write", prices["input"])
    prices.setdefault("reasoning", prices["output"])
    return prices


def call_cost_usd(model: PricedModel, started_ms: int, usage: Usage, service_tier: str | None) -> float | None:
    """Cost of one call in USD at the price in effect at its start, or None when no price is in effect."""
    day = to_datetime(started_ms).date()
    entries = [entry for entry in model.prices if entry["effective_from"] <= day]
    if not entries:
        return None
    prices = unit_prices(entries[-1], service_tier, usage.input_tokens)
    uncached = usage.input_tokens - usage.cached_input_tokens - usage.cache_write_tokens
    return (
        uncached * prices["input"]
        + usage.cached_input_tokens * prices["cached_input"]
        + usage.cache_write_tokens * prices["cache_write"]
        + (usage.output_tokens - usage.reasoning_tokens) * prices["output"]
        + usage.reasoning_tokens * prices["reasoning"]
    ) / 1_000_000


def row_usage(row: Row) -> Usage:
    """The token counts a log row carries (absent counts are 0)."""
    return Usage(
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        cached_input_tokens=row.get("cached_input_tokens") or 0,
        cache_write_tokens=row.get("cache_write_tokens") or 0,
        reasoning_tokens=row.get("reasoning_tokens") or 0,
    )


def log_uniform(rng: random.Random, bounds: tuple[int, int]) -> int:
    """An integer between the bounds, denser towards the low end (prompt sizes are right-skewed)."""
    low, high = bounds
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def output_tokens(rng: random.Random, bounds: tuple[int, int]) -> int:
    """An output length between the bounds, most often in their lower third."""
    low, high = bounds
    return int(rng.triangular(low, high, low + 0.3 * (high - low)))


class TrafficGenerator:
    """Builds log rows (dicts in canonical column order, ``started_at`` in epoch ms) from the config."""

    def __init__(
        self,
        rng: random.Random,
        price_book: dict[str, PricedModel],
        routing: dict[str, Any],
        used_ids: set[str] | None = None,
    ) -> None:
        """``used_ids``: ids issued by another generator that this one must not reuse."""
        if set(routing["tasks"]) != set(TASK_SHAPES):
            raise ValueError(f"routing.yaml tasks {sorted(routing['tasks'])} differ from {sorted(TASK_SHAPES)}")
        self.rng = rng
        self.price_book = price_book
        self.canonical = {alias: model.name for model in price_book.values() for alias in model.aliases}
        self.canonical.update({name: name for name in price_book})
        self.tiers: dict[str, list[str]] = routing["tiers"]
        self.tier_names = list(self.tiers)
        self.model_tier = {model: tier for tier, models in self.tiers.items() for model in models}
        self.task_tier = {task: spec["tier"] for task, spec in routing["tasks"].items()}
        self.baseline_escalation = {task: spec["baseline_escalation_rate"] for task, spec in routing["tasks"].items()}
        self.has_quality_gate = {task: "quality_gate" in spec for task, spec in routing["tasks"].items()}
        self.tasks = list(TASK_SHAPES)
        self.task_weights = [shape.share for shape in TASK_SHAPES.values()]
        self.hour_cum_weights = self._hour_cum_weights()
        self.team_users = self._team_users()
        self.used_ids = set() if used_ids is None else used_ids

    @staticmethod
    def _hour_cum_weights() -> list[float]:
        """Cumulative traffic weight of each hour of the period."""
        cumulative: list[float] = []
        total = 0.0
        for hour_index in range(PERIOD_DAYS * 24):
            day = (PERIOD_START + timedelta(hours=hour_index)).date()
            weight = HOURLY_WEIGHTS[hour_index % 24] * (1 + MONTHLY_GROWTH * (hour_index // 24) / (PERIOD_DAYS - 1))
            if day.weekday() >= 5:
                weight *= WEEKEND_FACTOR
            total += weight * HOLIDAYS.get(day, 1.0)
            cumulative.append(total)
        return cumulative

    @staticmethod
    def _team_users() -> dict[str, tuple[list[str], list[float]]]:
        """Each team's users with Zipf-like activity weights (a few heavy users, a long tail)."""
        pools: dict[str, tuple[list[str], list[float]]] = {team: ([], []) for team in TEAMS}
        for index in range(USER_COUNT):
            users, weights = pools[TEAMS[index % len(TEAMS)]]
            users.append(f"u_{index + 1:04d}")
            weights.append(1 / (len(users) ** 0.8))
        return pools

    def new_id(self, prefix: str) -> str:
        """A fresh id: the prefix and 16 hex digits, never issued before."""
        while True:
            candidate = f"{prefix}{self.rng.getrandbits(64):016x}"
            if candidate not in self.used_ids:
                self.used_ids.add(candidate)
                return candidate

    def sample_start_ms(self) -> int:
        """A trace start following the weekday, diurnal and growth pattern."""
        while True:
            (hour_index,) = self.rng.choices(range(len(self.hour_cum_weights)), cum_weights=self.hour_cum_weights)
            started_ms = PERIOD_START_MS + hour_index * 3_600_000 + self.rng.randrange(3_600_000)
            if started_ms < LAST_TRACE_START_MS:
                return started_ms

    def pick_task(self) -> str:
        """A task type by traffic share."""
        return self.rng.choices(self.tasks, weights=self.task_weights)[0]

    def pick_model(self, tier: str, exclude: str | None = None) -> str:
        """A model of the tier: mostly the first, some traffic on the others."""
        models = self.tiers[tier]
        rest = (1 - sum(TIER_MODEL_WEIGHTS)) / max(len(models) - len(TIER_MODEL_WEIGHTS), 1)
        weighted = [
            (model, TIER_MODEL_WEIGHTS[index] if index < len(TIER_MODEL_WEIGHTS) else rest)
            for index, model in enumerate(models)
            if model != exclude
        ]
        names, weights = zip(*weighted, strict=True)
        return self.rng.choices(names, weights=weights)[0]

    def next_tier(self, tier: str) -> str:
        """The tier above, or the same tier when it is the top one."""
        index = self.tier_names.index(tier)
        return self.tier_names[min(index + 1, len(self.tier_names) - 1)]

    def requested_name(self, tier: str, model: str) -> str:
        """What the caller asked for: usually the tier alias, otherwise the model name."""
        return tier if self.rng.random() < REQUESTED_TIER_ALIAS_SHARE else model

    def written_name(self, model: str) -> str:
        """The served model as a source writes it: sometimes a dated or provider-prefixed alias."""
        priced = self.price_book.get(model)
        if priced is not None and priced.aliases and self.rng.random() < SERVED_ALIAS_SHARE:
            return self.rng.choice(priced.aliases)
        return model

    def provider(self, model: str) -> str:
        """Provider of a priced or known-unpriced model."""
        priced = self.price_book.get(model)
        return priced.provider if priced is not None else UNKNOWN_MODELS[model]

    def attribution(self, task: str) -> Attribution:
        """Team, feature, user and environment of a new trace of the task."""
        owners = TASK_SHAPES[task].owners
        team, feature, _ = self.rng.choices(owners, weights=[weight for _, _, weight in owners])[0]
        users, weights = self.team_users[team]
        env = "staging" if self.rng.random() < STAGING_SHARE else "prod"
        return Attribution(self.rng.choices(users, weights=weights)[0], team, feature, env)

    def escalation_probability(self, task: str, started_ms: int) -> float:
        """The quality-gate failure rate of the task's tier at that time (the drift episode raises it)."""
        if task == DRIFT_TASK and started_ms >= DRIFT_START_MS:
            return DRIFT_ESCALATION_RATE
        return self.baseline_escalation[task] * STEADY_SHARE_OF_BASELINE

    def draw_usage(self, task: str, model: str, input_tokens: int | None = None) -> Usage:
        """Token counts of a successful call of the task on the model (input drawn unless given)."""
        shape = TASK_SHAPES[task]
        prompt = log_uniform(self.rng, shape.input_tokens) if input_tokens is None else input_tokens
        output = output_tokens(self.rng, shape.output_tokens)
        cached = 0
        if self.rng.random() < shape.cache_hit_rate:
            cached = int(prompt * self.rng.uniform(*shape.cached_share))
        cache_write = 0
        if self.provider(model) == "anthropic" and shape.cache_hit_rate > 0:
            # A miss on a task that usually hits is a prefix being written for the next calls.
            write_rate = CACHE_WRITE_RATE_ON_HIT if cached else shape.cache_hit_rate
            if self.rng.random() < write_rate:
                cache_write = int((prompt - cached) * self.rng.uniform(0.3, 0.9))
        reasoning = 0
        if model in REASONING_MODELS:
            reasoning_share = (0.40, 0.70) if task == "reasoning" else (0.10, 0.30)
            reasoning = int(output * self.rng.uniform(*reasoning_share))
        return Usage(prompt, output, cached, cache_write, reasoning)

    def latency_ms(self, model: str, usage: Usage, status: str) -> int:
        """Latency by the model's tier and the call's size; errors are quick rejections or timeouts."""
        if status == "error":
            return self.rng.randint(80, 900) if self.rng.random() < 0.8 else self.rng.randint(30_000, 60_000)
        base, per_output_token = TIER_LATENCY.get(self.model_tier.get(model, ""), UNTIERED_LATENCY)
        expected = base + 0.02 * usage.input_tokens + per_output_token * usage.output_tokens
        return int(expected * self.rng.lognormvariate(0.0, 0.25))

    def call(
        self,
        *,
        trace_id: str,
        started_ms: int,
        task: str,
        requested: str,
        model: str,
        usage: Usage,
        attribution: Attribution,
        status: str = "success",
        escalated: bool = False,
        passed: bool = True,
    ) -> Row:
        """One call row; keys that do not apply to it are left out."""
        provider = self.provider(model)
        row: Row = {
            "request_id": self.new_id("req_"),
            "trace_id": trace_id,
            "started_at": started_ms,
            "task_type": task,
            "requested_model": requested,
            "served_model": self.written_name(model),
            "provider": provider,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cached_input_tokens": usage.cached_input_tokens,
        }
        if provider == "anthropic":
            row["cache_write_tokens"] = usage.cache_write_tokens
        if model in REASONING_MODELS:
            row["reasoning_tokens"] = usage.reasoning_tokens
        batch = task == BATCH_TASK and model in BATCH_MODELS and self.rng.random() < BATCH_SHARE
        service_tier = "batch" if batch else None
        if service_tier is None:  # batch results carry no per-request latency
            row["latency_ms"] = self.latency_ms(model, usage, status)
        row["status"] = status
        row["escalated"] = escalated
        if status == "success" and self.has_quality_gate[task]:
            row["quality_passed"] = passed
        priced = self.price_book.get(model)
        if priced is not None and self.rng.random() < REPORTED_COST_SHARE:
            cost = call_cost_usd(priced, started_ms, usage, service_tier)
            if cost is not None:
                if self.rng.random() < DISAGREEING_COST_SHARE:
                    cost *= DISAGREEING_COST_FACTOR
                row["reported_cost_usd"] = round(cost, 8)
        if service_tier is not None:
            row["service_tier"] = service_tier
        row["user_id"] = attribution.user_id
        row["team"] = attribution.team
        row["feature"] = attribution.feature
        row["tags"] = [f"env:{attribution.env}", f"task_type:{task}"]
        return row

    def single_call(
        self,
        task: str,
        model: str,
        usage: Usage | None = None,
        requested: str | None = None,
        status: str = "success",
    ) -> Row:
        """A one-call trace of the task on the model, at a sampled time, that passes its quality gate."""
        if usage is None:
            usage = Usage(0, 0) if status == "error" else self.draw_usage(task, model)
        return self.call(
            trace_id=self.new_id("trc_"),
            started_ms=self.sample_start_ms(),
            task=task,
            requested=requested or self.requested_name(self.model_tier[model], model),
            model=model,
            usage=usage,
            attribution=self.attribution(task),
            status=status,
        )

    def trace(self, task: str) -> list[Row]:
        """A routed trace: one call, or a failed or erroring call and a second one 1-3 s after it ends."""
        started_ms = self.sample_start_ms()
        tier = self.task_tier[task]
        model = self.pick_model(tier)
        requested = self.requested_name(tier, model)
        usage = self.draw_usage(task, model)
        trace_call = functools.partial(
            self.call, trace_id=self.new_id("trc_"), task=task, attribution=self.attribution(task)
        )
        roll = self.rng.random()
        if roll >= FALLBACK_RATE + self.escalation_probability(task, started_ms):
            return [trace_call(started_ms=started_ms, requested=requested, model=model, usage=usage)]
        next_tier = self.next_tier(tier)
        if roll < FALLBACK_RATE:  # provider error; the router falls back without marking an escalation
            first = trace_call(
                started_ms=started_ms, requested=requested, model=model, usage=Usage(0, 0), status="error"
            )
            second_model = self.pick_model(next_tier, exclude=model)
            second_requested = requested
            escalated = False
        else:  # quality gate failed: the caller escalates (the top tier retries on itself)
            first = trace_call(started_ms=started_ms, requested=requested, model=model, usage=usage, passed=False)
            second_model = self.pick_model(next_tier)
            second_requested = self.requested_name(next_tier, second_model)
            escalated = True
        second = trace_call(
            started_ms=started_ms + first.get("latency_ms", 0) + self.rng.randint(1_000, 3_000),
            requested=second_requested,
            model=second_model,
            usage=self.draw_usage(task, second_model, input_tokens=usage.input_tokens),
            escalated=escalated,
            passed=self.rng.random() < SECOND_CALL_PASS_RATE,
        )
        return [first, second]

    def long_context_calls(self) -> list[Row]:
        """The single-call long-context traces of LONG_CONTEXT_PLANS (they pass their quality gate)."""
        rows = []
        for task, count, models, input_bounds in LONG_CONTEXT_PLANS:
            for _ in range(count):
                model = self.rng.choice(models)
                usage = self.draw_usage(task, model, input_tokens=self.rng.randint(*input_bounds))
                rows.append(self.single_call(task, model, usage))
        return rows

    def unknown_model_calls(self) -> list[Row]:
        """Calls made directly to models that the price book does not know (unpriced, untiered)."""
        rows = []
        for _ in range(UNKNOWN_MODEL_CALLS):
            model = self.rng.choice(list(UNKNOWN_MODELS))
            task = self.rng.choice(("classification", "extraction", "rag_answer"))
            rows.append(self.single_call(task, model, requested=model))
        return rows

    def missing_served_model_calls(self) -> list[Row]:
        """Calls whose source did not record the served model; the requested model name is there."""
        rows = []
        for _ in range(MISSING_SERVED_MODEL_CALLS):
            task = self.pick_task()
            model = self.pick_model(self.task_tier[task])
            row = self.single_call(task, model, requested=self.written_name(model))
            del row["served_model"]
            row.pop("reported_cost_usd", None)
            rows.append(row)
        return rows

    def missing_task_type_calls(self) -> list[Row]:
        """Ordinary calls whose caller forgot the task type (no key, no task_type tag)."""
        rows = []
        for _ in range(MISSING_TASK_TYPE_CALLS):
            task = self.pick_task()
            row = self.single_call(task, self.pick_model(self.task_tier[task]))
            del row["task_type"]
            row["tags"] = [tag for tag in row["tags"] if not tag.startswith("task_type:")]
            rows.append(row)
        return rows

    def routed_traffic(self, calls: int, already: int) -> list[Row]:
        """Routed traces until the total reaches ``calls`` rows (the last trace may add one more)."""
        rows: list[Row] = []
        while already + len(rows) < calls:
            rows.extend(self.trace(self.pick_task()))
        return rows

    def encode(self, row: Row) -> str:
        """One JSON line; ``started_at`` becomes ISO-8601 ``Z`` text or, on a small share, epoch ms."""
        if isinstance(row["started_at"], int) and self.rng.random() >= EPOCH_MS_SHARE:
            row = {**row, "started_at": iso_z(row["started_at"])}
        return json.dumps(row, separators=(",", ":"))

    def malformed_line(self, kind: str, variant: int) -> str:
        """A line the ingest must quarantine: a real call, broken in the way ``kind`` names."""
        task = self.pick_task()
        row = self.single_call(task, self.pick_model(self.task_tier[task]))
        if kind == "truncated_json":
            line = self.encode(row)
            return line[: int(len(line) * self.rng.uniform(0.3, 0.8))]
        if kind == "not_json":
            return NOT_JSON_LINES[variant]
        if kind == "negative_output_tokens":
            row["output_tokens"] = -self.rng.randint(1, 400)
        elif kind == "unparseable_started_at":
            row["started_at"] = UNPARSEABLE_STARTED_AT[variant]
        elif kind == "missing_request_id":
            del row["request_id"]
        else:  # non_numeric_input_tokens
            row["input_tokens"] = NON_NUMERIC_INPUT_TOKENS[variant]
        return self.encode(row)


def add_explicit_nulls(rng: random.Random, rows: list[Row]) -> Counter[str]:
    """Set one optional key to an explicit null on a few rows; returns how many rows per key."""
    counts: Counter[str] = Counter()
    for index, row_index in enumerate(rng.sample(range(len(rows)), EXPLICIT_NULL_ROWS)):
        key = EXPLICIT_NULL_KEYS[index % len(EXPLICIT_NULL_KEYS)]
        rows[row_index][key] = None
        counts[key] += 1
    return counts


def request_lines(generator: TrafficGenerator, calls: int) -> tuple[list[str], dict[str, Any]]:
    """Lines of requests.jsonl.gz in time order, duplicate and malformed lines mixed in; and a summary."""
    special = (
        generator.long_context_calls()
        + generator.unknown_model_calls()
        + generator.missing_served_model_calls()
        + generator.missing_task_type_calls()
    )
    routed = generator.routed_traffic(calls, already=len(special))
    null_counts = add_explicit_nulls(generator.rng, routed)
    rows = sorted(special + routed, key=lambda row: (row["started_at"], row["request_id"]))
    lines = [generator.encode(row) for row in rows]

    inserted: dict[int, list[str]] = {}  # extra lines, keyed by the index of the valid line they follow
    for original in sorted(generator.rng.sample(range(len(lines) - 1), DUPLICATE_LINES)):
        follows = generator.rng.randint(original, min(original + 5_000, len(lines) - 1))
        inserted.setdefault(follows, []).append(lines[original])
    malformed: Counter[str] = Counter()
    for kind in MALFORMED_KINDS:
        for variant in range(MALFORMED_PER_KIND):
            follows = generator.rng.randrange(len(lines))
            inserted.setdefault(follows, []).append(generator.malformed_line(kind, variant))
            malformed[kind] += 1
    output: list[str] = []
    for index, line in enumerate(lines):
        output.append(line)
        output.extend(inserted.get(index, ()))

    summary = {
        "lines": len(output),
        "valid_rows": len(rows),
        "traces": len({row["trace_id"] for row in rows}),
        "duplicate_lines": DUPLICATE_LINES,
        "malformed_lines": dict(malformed),
        "unknown_model_rows": sum(1 for row in rows if row.get("served_model") in UNKNOWN_MODELS),
        "missing_served_model_rows": sum(1 for row in rows if "served_model" not in row),
        "missing_task_type_rows": sum(1 for row in rows if "task_type" not in row),
        "long_context_rows": sum(count for _, count, _, _ in LONG_CONTEXT_PLANS),
        "explicit_null_rows": dict(null_counts),
        "reported_cost_rows": sum(1 for row in rows if "reported_cost_usd" in row),
        "reported_cost_disagreeing_rows": count_disagreeing_costs(generator, rows),
        "batch_rows": sum(1 for row in rows if row.get("service_tier") == "batch"),
    }
    return output, summary


def count_disagreeing_costs(generator: TrafficGenerator, rows: list[Row]) -> int:
    """Rows whose reported cost differs from the price book's (should be about 1% of the reported ones)."""
    disagreeing = 0
    for row in rows:
        if "reported_cost_usd" in row:
            model = generator.price_book[generator.canonical[row["served_model"]]]
            expected = call_cost_usd(model, row["started_at"], row_usage(row), row.get("service_tier"))
            disagreeing += expected is None or abs(row["reported_cost_usd"] - expected) > 1e-8
    return disagreeing


def export_rows(generator: TrafficGenerator) -> list[list[str]]:
    """Rows of requests_export.csv (alias column names), in time order, with the three bad rows mixed in."""
    calls = []
    for _ in range(EXPORT_CALLS):
        task = generator.pick_task()
        status = "error" if generator.rng.random() < EXPORT_ERROR_RATE else "success"
        calls.append(generator.single_call(task, generator.pick_model(generator.task_tier[task]), status=status))
    calls.sort(key=lambda row: (row["started_at"], row["request_id"]))
    records = [
        [
            to_datetime(row["started_at"]).isoformat(timespec="milliseconds"),
            row["request_id"],
            row["task_type"],
            row["served_model"],
            str(row["input_tokens"]),
            str(row["output_tokens"]),
            str(row["cached_input_tokens"]),
            row["team"],
            row["feature"],
            row["status"],
        ]
        for row in calls
    ]
    for bad_row in EXPORT_BAD_ROWS:
        position = generator.rng.randrange(len(records))
        record = list(records[position])
        record[1] = generator.new_id("req_")
        if bad_row == "negative_prompt_tokens":
            record[4] = str(-generator.rng.randint(1, 2_000))
        elif bad_row == "empty_request_id":
            record[1] = ""
        else:  # bad_timestamp: there is no November 31st
            record[0] = "2026-11-31T10:15:00+00:00"
        records.insert(position + 1, record)
    return records


def profiling_rows(generator: TrafficGenerator) -> list[Row]:
    """Each task's profiling prompts run on every tier; a prompt that passes a tier passes the tiers above.

    The number of passing prompts per task x tier is round(target pass rate x prompts), so pass rates are
    exact up to that rounding; which prompts pass is drawn from the seed.
    """
    rng = generator.rng
    rows: list[Row] = []
    for task, pass_rates in PROFILING_PASS_RATES.items():
        difficulty_rank = rng.sample(range(PROFILING_PROMPTS), PROFILING_PROMPTS)
        for prompt_index in range(PROFILING_PROMPTS):
            input_tokens = log_uniform(rng, TASK_SHAPES[task].input_tokens)
            for tier, pass_rate in zip(generator.tier_names, pass_rates, strict=True):
                model = generator.tiers[tier][0]
                passed = difficulty_rank[prompt_index] < round(pass_rate * PROFILING_PROMPTS)
                usage = Usage(input_tokens, output_tokens(rng, TASK_SHAPES[task].output_tokens))
                rows.append(
                    {
                        "prompt_id": f"{task}-{prompt_index + 1:04d}",
                        "task_type": task,
                        "tier": tier,
                        "model": model,
                        "passed": passed,
                        "score": round(rng.uniform(PASSING_SCORE, 1.0) if passed else rng.uniform(0.1, 0.68), 3),
                        "input_tokens": usage.input_tokens,
                        "output_tokens": usage.output_tokens,
                        "latency_ms": generator.latency_ms(model, usage, "success"),
                    }
                )
    return rows


def write_gzip(path: Path, text: str) -> None:
    """Gzip text reproducibly (no file name, mtime 0)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as archive:
        archive.write(text.encode("utf-8"))
    path.write_bytes(buffer.getvalue())


def generate(out: Path, seed: int, calls: int) -> dict[str, Any]:
    """Write the three sample files into ``out``; returns the summary of what they contain."""
    price_book = load_price_book(CONFIG_DIR / "prices.yaml")
    routing = yaml.safe_load((CONFIG_DIR / "routing.yaml").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)

    generator = TrafficGenerator(random.Random(seed), price_book, routing)
    lines, summary = request_lines(generator, calls)
    write_gzip(out / "requests.jsonl.gz", "\n".join(lines) + "\n")

    # Export request_ids stay distinct from the JSONL ones.
    records = export_rows(
        TrafficGenerator(random.Random(f"{seed}/export"), price_book, routing, used_ids=generator.used_ids)
    )
    with (out / "requests_export.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(records)

    profiling = profiling_rows(TrafficGenerator(random.Random(f"{seed}/profiling"), price_book, routing))
    (out / "profiling_results.jsonl").write_text(
        "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in profiling), encoding="utf-8"
    )
    summary["export_rows"] = len(records)
    summary["export_bad_rows"] = list(EXPORT_BAD_ROWS)
    summary["profiling_rows"] = len(profiling)
    return summary


def main() -> None:
    """Command-line entry: parse the options, generate, print the summary as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: sample_logs/)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument("--calls", type=int, default=100_000, help="valid call rows in requests.jsonl.gz")
    args = parser.parse_args()
    if args.calls < MIN_CALLS:
        parser.error(f"--calls must be at least {MIN_CALLS}: the fixed dirt counts need routed traffic around them")
    print(json.dumps(generate(args.out, args.seed, args.calls), indent=2))


if __name__ == "__main__":
    main()
