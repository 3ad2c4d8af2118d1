"""How numbers read, on the dashboard and in the CLI: money as money, shares as percentages, and unpriced never as $0.

Pure functions, shared by the CLI, the pages and the chart builders, so a number reads the same in a terminal, a
KPI, a table and a hover label.
"""

from __future__ import annotations

import math
from typing import Any

UNPRICED = "unpriced"
# How a value that is not there reads, everywhere (a table cell, a KPI): never "None", never a misleading 0
MISSING = "—"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None, *, missing: str = UNPRICED) -> str:
    """USD with cents ($1,234.56); below a cent, two significant digits ($0.00046). ``missing`` stands for None:
    a cost the price book cannot compute is shown as such, never as $0."""
    if _missing(value):
        return missing
    assert value is not None
    sign = "-" if value < 0 else ""
    size = abs(value)
    if size == 0 or size >= 0.01:
        return f"{sign}${size:,.2f}"
    decimals = 1 - math.floor(math.log10(size))
    return f"{sign}${size:.{decimals}f}"


def percent(value: float | None, *, decimals: int = 1, missing: str = MISSING) -> str:
    """A share or rate (0.153 -> 15.3%); a share too small to show is "<0.1%", not "0.0%"."""
    if _missing(value):
        return missing
    assert value is not None
    smallest = 10.0 ** -(decimals + 2)
    if 0 < abs(value) < smallest / 2:
        return f"{'-' if value < 0 else ''}<{smallest:.{decimals}%}"
    return f"{value:.{decimals}%}"


def count(value: int | float | None, unit: str | None = None, *, missing: str = MISSING) -> str:
    """A whole number with thousands separators, with its unit in the singular or the plural when one is given
    ('1 call', '1,082 calls')."""
    if _missing(value):
        return missing
    number = round(value or 0)
    if unit is None:
        return f"{number:,}"
    return f"{number:,} {unit if number == 1 else plural(unit)}"


def plural(unit: str) -> str:
    """'call' -> 'calls', 'day with data' -> 'days with data' (the first word takes the plural)."""
    first, _, rest = unit.partition(" ")
    return f"{first}s {rest}" if rest else f"{first}s"


def change(current: float | None, previous: float | None) -> str | None:
    """Relative change as a signed percentage (+12.3%), or None when there is nothing to compare against."""
    if _missing(current) or _missing(previous) or not previous:
        return None
    assert current is not None and previous is not None
    return f"{(current - previous) / abs(previous):+.1%}"


def points(current: float | None, previous: float | None) -> str | None:
    """Change between two shares in percentage points (+1.2 pp), or None when either is missing."""
    if _missing(current) or _missing(previous):
        return None
    assert current is not None and previous is not None
    shift = round((current - previous) * 100, 1)
    return f"{shift:+.1f} pp" if shift else "0.0 pp"


def difference(current: int | None, previous: int | None) -> int | None:
    """Absolute change of a count, or None when either is missing."""
    if current is None or previous is None:
        return None
    return current - previous


WINDOW_UNITS = {"m": "minute", "h": "hour", "d": "day"}


def window(window_text: str) -> str:
    """A drift window as words: '1d' -> '1-day', '30m' -> '30-minute'."""
    return f"{window_text[:-1]}-{WINDOW_UNITS[window_text[-1]]}"


def drift_rule(threshold: float, mode: str, window_text: str, min_requests: int, baseline_days: int) -> str:
    """routing.yaml's drift rule in words (docs/concepts.md)."""
    if mode == "relative":
        limit = f"more than {threshold:.0%} above its baseline (rate > baseline × {1 + threshold:g})"
    else:
        limit = f"more than {threshold * 100:g} percentage points above its baseline (rate > baseline + {threshold:g})"
    return (
        f"A task type is flagged when its escalation rate in a {window(window_text)} window is {limit}, in a window "
        f"with at least {min_requests:,} requests. A request is escalated when one of its calls is marked as an "
        "escalation or its final call was served by a tier above the task type's default tier. The baseline is "
        "routing.yaml's baseline_escalation_rate (from the profiling run); without one, the task type's rate over "
        f"its first {baseline_days} days of data."
    )


DRIVER_WORDS = {
    "volume": "more calls",
    "tokens_per_call": "more tokens per call",
    "tier_mix": "a pricier tier mix",
    "price": "a higher price per token",
}


def anomaly_cause(row: dict[str, Any]) -> str:
    """The numbers behind a spend anomaly's driver, in words (a mart_spend_anomalies row)."""
    driver = row["driver"]
    if driver == "volume":
        return f"{count(row['calls'], 'call')} against {row['expected_calls']:,.1f} expected"
    if driver == "tokens_per_call":
        return f"{count(row['tokens_per_call'])} tokens per call against {count(row['baseline_tokens_per_call'])}"
    if driver == "tier_mix":
        moved = sorted(row["tier_shares"], key=lambda tier: abs(tier["share"] - tier["baseline_share"]), reverse=True)
        return (
            ", ".join(
                f"{tier['tier']} {percent(tier['baseline_share'], decimals=0)} → {percent(tier['share'], decimals=0)}"
                for tier in moved[:2]
            )
            + " of tokens"
        )
    return (
        f"{money(row['cost_per_1m_tokens_usd'])} per 1M tokens against "
        f"{money(row['baseline_cost_per_1m_tokens_usd'])} at the same tier mix"
    )


def anomaly_rule(threshold: float) -> str:
    """How a spend anomaly is judged, in words (mart_spend_anomalies)."""
    return (
        "Each task type · team is judged day by day against its own previous 14 days with calls (days before the "
        "dates in view count too), each taken at its weekday's level (weekday factors from the previous 28 days with "
        "calls, so a quiet weekend is expected): the expected spend is their median, and a day is flagged when it "
        f"costs more than expected by over {threshold:g} robust standard deviations (1.4826 × the median absolute "
        "deviation, and at least 10% of the expected spend). Drops are not flagged. The driver is the factor of "
        "cost = calls × tokens per call × cost per token (itself split into tier mix and price) that moved most."
    )
