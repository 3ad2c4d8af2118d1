"""Scenario tier maps as files: a routing.yaml to commit, its diff against the current one, and a LiteLLM config."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import yaml

from tierscope.queries.config import PriceBook, Routing


def with_task_tiers(routing: Routing, task_tiers: Mapping[str, str]) -> Routing:
    """The routing map with the given task types moved to the given tiers (task types not listed are added)."""
    tasks = {name: profile.model_dump() for name, profile in routing.tasks.items()}
    for task_type, tier in task_tiers.items():
        tasks.setdefault(task_type, {})["tier"] = tier
    return Routing.model_validate({**routing.model_dump(), "tasks": tasks})


def routing_yaml(routing: Routing) -> str:
    """The routing map as YAML in the shape of config/routing.yaml (defaults left out)."""
    data = routing.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=110)


def scenario_yaml(routing: Routing, task_tiers: Mapping[str, str]) -> str:
    return routing_yaml(with_task_tiers(routing, task_tiers))


def routing_diff(current: Routing, scenario: Routing, scenario_name: str = "scenario") -> str:
    """A unified diff from the current routing.yaml to the scenario."""
    return "".join(
        difflib.unified_diff(
            routing_yaml(current).splitlines(keepends=True),
            routing_yaml(scenario).splitlines(keepends=True),
            fromfile="routing.yaml",
            tofile=f"{scenario_name}.yaml",
        )
    )


# tierscope provider names -> LiteLLM's provider prefixes and API key variables
LITELLM_PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "google": "gemini"}


def litellm_config(routing: Routing, price_book: PriceBook) -> str:
    """A LiteLLM Router / proxy config.yaml: one model alias per tier, served by the tier's first model, and fallbacks
    from each tier to the next. The task -> tier map callers route by heads the file as a comment."""
    model_list = []
    for tier, models in routing.tiers.items():
        spec = price_book.models.get(models[0])
        provider = LITELLM_PROVIDERS.get(spec.provider or "", spec.provider) if spec and spec.provider else None
        params = {"model": f"{provider}/{models[0]}" if provider else models[0]}
        if provider:
            params["api_key"] = f"os.environ/{provider.upper()}_API_KEY"
        model_list.append({"model_name": tier, "litellm_params": params})
    tiers = list(routing.tiers)
    config = {
        "model_list": model_list,
        "router_settings": {
            "fallbacks": [{lower: [upper]} for lower, upper in zip(tiers, tiers[1:], strict=False)],
            "num_retries": 1,
        },
    }
    header = (
        "# LiteLLM proxy config written by tierscope. Send each task type to its tier alias:\n"
        + "".join(f"#   {task}: {profile.tier}\n" for task, profile in routing.tasks.items())
        + f"#   (any other task type): {routing.default_tier}\n"
    )
    return header + yaml.safe_dump(config, sort_keys=False, width=110)
