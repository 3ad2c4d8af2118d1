"""LiteLLM's price list -> prices.yaml entries, merged into a price book with an effective date.

LiteLLM keeps prices per model in ``model_prices_and_context_window.json`` (BerriAI/litellm), in USD per token:
``input_cost_per_token``, ``output_cost_per_token``, ``cache_read_input_token_cost``,
``cache_creation_input_token_cost``, ``output_cost_per_reasoning_token``; variants by suffix (``_batches``, ``_flex``,
``_priority``: ``input_cost_per_token_batches``...); long-context prices by ``_above_<N>k_tokens``
(``input_cost_per_token_above_200k_tokens``...); and ``max_input_tokens``, ``litellm_provider``, ``mode``. The price
book keeps USD per 1M tokens (config/prices.yaml), so each price is multiplied by 10^6 (in decimal, so 2.5e-06
becomes 2.5, not 2.4999999999999996).

Merging: a LiteLLM model is matched to a price-book model when their names agree once lower-cased without a provider
prefix or a date suffix (as tierscope matches logged model names: ``claude-sonnet-4-5-20250929`` is
``claude-sonnet-4-5``). A model whose imported prices equal its latest entry is left alone; otherwise the import adds
an entry effective from the given date (replacing one of that same date). A new model gets its provider, its context
window (``max_input_tokens``) and the LiteLLM name as an alias when it differs. The merged book is validated as
``--prices`` files are before it is written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tierscope.queries.config import ConfigError, PriceBook

# LiteLLM per-token key stem -> price-book key (USD per 1M tokens)
PRICE_KEYS: dict[str, str] = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cached_input",
    "cache_creation_input_token_cost": "cache_write",
    "output_cost_per_reasoning_token": "reasoning",
}
VARIANT_SUFFIXES: dict[str, str] = {"_batches": "batch", "_flex": "flex", "_priority": "priority"}
ABOVE_SUFFIX = re.compile(r"_above_(\d+)k_tokens$")
TEXT_MODES = {"chat", "completion", "responses"}
PROVIDER_NAMES = {"gemini": "google", "vertex_ai": "google", "vertex_ai-language-models": "google"}


def name_key(model_name: str) -> str:
    """The lookup key of a model name, as the SQL macro model_key (queries/sql/staging/macros.sql) computes it."""
    without_prefix = re.sub(r"^.*/", "", model_name.strip().lower())
    return re.sub(r"[-@]([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8})$", "", without_prefix)


def per_million(per_token: object) -> float:
    """USD per token -> USD per 1M tokens, exact in decimal."""
    return float((Decimal(str(per_token)) * 1_000_000).normalize())


def _prices(spec: dict[str, Any], suffix: str) -> dict[str, float]:
    return {
        book_key: per_million(spec[stem + suffix])
        for stem, book_key in PRICE_KEYS.items()
        if isinstance(spec.get(stem + suffix), int | float)
    }


def price_entry(spec: dict[str, Any], effective_from: dt.date) -> dict[str, Any]:
    """One prices.yaml entry (USD per 1M tokens) from a LiteLLM model spec."""
    entry: dict[str, Any] = {"effective_from": effective_from, **_prices(spec, "")}
    for suffix, variant in VARIANT_SUFFIXES.items():
        prices = _prices(spec, suffix)
        if prices:
            entry[variant] = prices
    thresholds = sorted(
        {
            int(match.group(1))
            for key in spec
            if (match := ABOVE_SUFFIX.search(key)) and key.startswith(tuple(PRICE_KEYS))
        }
    )
    if thresholds:
        # the price book holds one long-context band: the first threshold, where the higher prices start
        above = _prices(spec, f"_above_{thresholds[0]}k_tokens")
        if above:
            entry["above_tokens"] = thresholds[0] * 1000
            entry["above"] = above
    return entry


def _provider(spec: dict[str, Any]) -> str | None:
    provider = spec.get("litellm_provider")
    if not isinstance(provider, str):
        return None
    return PROVIDER_NAMES.get(provider, "google" if provider.startswith("vertex_ai") else provider)


def _is_text_model(spec: Any) -> bool:
    return (
        isinstance(spec, dict)
        and spec.get("mode", "chat") in TEXT_MODES
        and isinstance(spec.get("input_cost_per_token"), int | float)
        and isinstance(spec.get("output_cost_per_token"), int | float)
    )


@dataclass
class ImportSummary:
    """What an import did, per price-book model name."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, list[str]]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged, "not_found": self.not_found}


def _chosen_sources(catalog: dict[str, Any], wanted: Sequence[str] | None) -> tuple[dict[str, str], list[str]]:
    """name key -> the LiteLLM key imported for it, and the wanted names LiteLLM does not list. Several LiteLLM keys
    can share a name key (``gpt-4o``, ``azure/gpt-4o``): the one spelled as the key itself wins, else the shortest."""
    candidates: dict[str, list[str]] = {}
    for source_name, spec in catalog.items():
        if _is_text_model(spec):
            candidates.setdefault(name_key(source_name), []).append(source_name)
    keys = [name_key(name) for name in wanted] if wanted else sorted(candidates)
    chosen = {
        key: min(candidates[key], key=lambda source_name: (source_name != key, len(source_name), source_name))
        for key in keys
        if key in candidates
    }
    not_found = [name for name in (wanted or []) if name_key(name) not in candidates]
    return chosen, not_found


def _owner(models: dict[str, Any], key: str) -> str | None:
    """The price-book model a name key belongs to (by its own name or an alias)."""
    for model, spec in models.items():
        names: Iterable[str] = [model, *((spec or {}).get("aliases") or [])]
        if any(name_key(str(name)) == key for name in names):
            return model
    return None


def _same_prices(entry: dict[str, Any], latest: dict[str, Any]) -> bool:
    def without_date(prices: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in prices.items() if key != "effective_from"}

    return without_date(entry) == without_date(latest)


def merge_litellm(
    book: dict[str, Any], catalog: dict[str, Any], effective_from: dt.date, wanted: Sequence[str] | None = None
) -> ImportSummary:
    """Merge LiteLLM's prices into a price book given as parsed YAML (changed in place)."""
    models: dict[str, Any] = book.setdefault("models", {})
    chosen, not_found = _chosen_sources(catalog, wanted)
    summary = ImportSummary(not_found=not_found)
    for key, source_name in chosen.items():
        spec = catalog[source_name]
        entry = price_entry(spec, effective_from)
        model = _owner(models, key)
        if model is None:
            model = key
            new_model = {
                "provider": _provider(spec),
                "context_window": spec.get("max_input_tokens"),
                "aliases": [source_name] if source_name != key else None,
                "prices": [entry],
            }
            models[model] = {name: value for name, value in new_model.items() if value is not None}
            summary.added.append(model)
            continue
        prices: list[dict[str, Any]] = models[model].setdefault("prices", [])
        latest = prices[-1] if prices else None
        if latest is not None and _same_prices(entry, latest):
            summary.unchanged.append(model)
            continue
        if latest is not None and latest["effective_from"] > effective_from:
            raise ConfigError(
                f"models.{model}: a price from {latest['effective_from']} is already there; an import must be "
                f"effective from that day or later (--effective-from)"
            )
        if latest is not None and latest["effective_from"] == effective_from:
            prices[-1] = entry
        else:
            prices.append(entry)
        if models[model].get("context_window") is None and spec.get("max_input_tokens"):
            models[model]["context_window"] = spec["max_input_tokens"]
        summary.updated.append(model)
    return summary


class _PlainDumper(yaml.SafeDumper):
    """YAML without anchors and aliases (entries share their date object)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _header_comments(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


def import_litellm(
    source: Path,
    price_book_path: Path,
    out: Path,
    effective_from: dt.date,
    wanted: Sequence[str] | None = None,
) -> ImportSummary:
    """Read LiteLLM's JSON, merge it into the price book at ``price_book_path`` and write the result to ``out``
    (comments at the top of the price book are kept; others are not)."""
    try:
        catalog = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ConfigError(f"{source}: cannot read as LiteLLM's price JSON ({error})") from error
    if not isinstance(catalog, dict):
        raise ConfigError(f"{source}: expected an object of model name -> prices")
    book_text = price_book_path.read_text(encoding="utf-8")
    book = yaml.safe_load(book_text) or {}
    summary = merge_litellm(book, catalog, effective_from, wanted)
    try:
        PriceBook.model_validate(book)
    except ValidationError as error:
        problem = error.errors()[0]
        location = ".".join(str(part) for part in problem["loc"])
        raise ConfigError(f"{out}: the merged price book is not valid: {location}: {problem['msg']}") from None
    out.write_text(
        _header_comments(book_text)
        + yaml.dump(book, Dumper=_PlainDumper, sort_keys=False, default_flow_style=None, width=120),
        encoding="utf-8",
    )
    return summary
