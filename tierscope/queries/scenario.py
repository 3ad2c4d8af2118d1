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
# the model group callers send a request to (tagged task_type:<name>), and the content router's
TAG_ROUTED_GROUP = "tierscope"
CONTENT_ROUTED_GROUP = "tierscope-auto"
# LiteLLM's complexity router levels, easiest first
COMPLEXITY_LEVELS = ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")
TASK_TAG_PREFIX = "task_type:"


def _litellm_params(model: str, price_book: PriceBook) -> dict[str, object]:
    spec = price_book.models.get(model)
    provider = LITELLM_PROVIDERS.get(spec.provider or "", spec.provider) if spec and spec.provider else None
    params: dict[str, object] = {"model": f"{provider}/{model}" if provider else model}
    if provider:
        params["api_key"] = f"os.environ/{provider.upper()}_API_KEY"
    return params


def complexity_tiers(tiers: list[str]) -> dict[str, str]:
    """LiteLLM's complexity levels onto the map's tiers, cheapest first: one level per tier while there are enough,
    the hardest levels sharing the top tier (and with more than four tiers, spread evenly)."""
    last = len(tiers) - 1
    return {
        level: tiers[min(rank, last) if last <= 3 else rank * last // 3] for rank, level in enumerate(COMPLEXITY_LEVELS)
    }


def litellm_config(routing: Routing, price_book: PriceBook) -> str:
    """A LiteLLM Router / proxy config.yaml that routes by itself (docs/router.md):

    - ``tierscope``: one deployment per tier (its first model), tagged ``task_type:<name>`` for the task types the map
      sends to that tier and, as the fallback of a cheaper tier, to the tiers below it; ``order`` puts a task's own
      tier first, so with ``enable_tag_filtering`` a tagged request is served by its tier and, when that tier fails,
      by the next one up. The default tier and those above it also carry ``default``, for requests with no known
      task type tag.
    - one model group per tier, with ``fallbacks`` from each tier to the next;
    - ``tierscope-auto``: LiteLLM's complexity router, its levels mapped onto the tier groups, for content routing.
    """
    tiers = list(routing.tiers)
    tasks_of = {tier: [task for task, profile in routing.tasks.items() if profile.tier == tier] for tier in tiers}
    tag_routed = []
    for rank, tier in enumerate(tiers, start=1):
        served = [task for cheaper in tiers[:rank] for task in tasks_of[cheaper]]
        is_default = tiers.index(routing.default_tier) < rank if routing.default_tier in tiers else False
        tags = [TASK_TAG_PREFIX + task for task in served] + (["default"] if is_default else [])
        params = {**_litellm_params(routing.tiers[tier][0], price_book), "tags": tags, "order": rank}
        tag_routed.append(
            {"model_name": TAG_ROUTED_GROUP, "litellm_params": params, "model_info": {"tierscope_tier": tier}}
        )
    tier_groups = [
        {"model_name": tier, "litellm_params": _litellm_params(routing.tiers[tier][0], price_book)} for tier in tiers
    ]
    content_routed = {
        "model_name": CONTENT_ROUTED_GROUP,
        "litellm_params": {
            "model": "auto_router/complexity_router",
            "complexity_router_config": {"tiers": complexity_tiers(tiers)},
        },
    }
    config = {
        "model_list": [*tag_routed, *tier_groups, content_routed],
        "router_settings": {
            "enable_tag_filtering": True,
            "fallbacks": [{lower: [upper]} for lower, upper in zip(tiers, tiers[1:], strict=False)],
            "num_retries": 1,
        },
    }
    header = (
        "# LiteLLM config written by tierscope. Send requests to model 'tierscope' tagged task_type:<name> (routed by\n"
        "# the task -> tier map below), or to 'tierscope-auto' (routed by LiteLLM's complexity router).\n"
        + "".join(f"#   {task}: {profile.tier}\n" for task, profile in routing.tasks.items())
        + f"#   (any other task type): {routing.default_tier}\n"
    )
    return header + yaml.safe_dump(config, sort_keys=False, width=110)
