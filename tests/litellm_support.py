"""Genuine LiteLLM StandardLoggingPayloads, made by LiteLLM's own Router and its complexity router with mocked
responses (no network: LiteLLM reads its packaged model cost map).

Two complexity routers route by content across three model groups: one with LiteLLM's default local heuristic, one
asking an LLM classifier (a model group of its own, whose mocked answer names the tier). Their hardest tier's model
(openai/o3) is the savings baseline LiteLLM derives. A logger callback keeps each payload as LiteLLM hands it to its
loggers (the classifier's own call is logged too, without a decision).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# before litellm is imported: its cost map from the installed package, not fetched
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

ROUTER_NAME = "smart-router"
LLM_ROUTER_NAME = "llm-router"
# what the mocked classifier answers: LiteLLM's LLM classifier reads a JSON verdict naming the tier
CLASSIFIER_VERDICT = '{"tier": "SIMPLE"}'
# complexity tier -> model group -> deployment model
TIER_GROUPS = {"SIMPLE": "cheap", "MEDIUM": "mid", "COMPLEX": "big", "REASONING": "big"}
GROUP_MODELS = {"cheap": "openai/gpt-4o-mini", "mid": "openai/gpt-4o", "big": "openai/o3"}

# prompts the complexity router's default heuristic scores into SIMPLE, MEDIUM and REASONING
SIMPLE_PROMPT = "what is 2+2?"
MEDIUM_PROMPT = "Summarize this quarterly report about our database migration and the API latency"
REASONING_PROMPT = "Think step by step and reason through this proof: first show the lemma, then prove the theorem"


@dataclass(frozen=True)
class RoutedRequest:
    """One request to the complexity router: its prompt, task type tag and the usage its mocked answer reports."""

    prompt: str
    task_type: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0
    fails: bool = False  # every deployment fails: the request falls back tier by tier and ends in an error
    router: str = ROUTER_NAME


def _model_list() -> list[dict[str, Any]]:
    return [
        {
            "model_name": ROUTER_NAME,
            "litellm_params": {
                "model": "auto_router/complexity_router",
                "complexity_router_config": {"tiers": dict(TIER_GROUPS)},
            },
        },
        {
            "model_name": LLM_ROUTER_NAME,
            "litellm_params": {
                "model": "auto_router/complexity_router",
                "complexity_router_config": {
                    "classifier_type": "llm",
                    "classifier_llm_config": {"model": "classifier"},
                    "tiers": dict(TIER_GROUPS),
                },
            },
        },
        {
            "model_name": "classifier",
            "litellm_params": {
                "model": "openai/gpt-4o-mini",
                "api_key": "test-key",
                "mock_response": CLASSIFIER_VERDICT,
            },
        },
        *(
            {"model_name": group, "litellm_params": {"model": model, "api_key": "test-key"}}
            for group, model in GROUP_MODELS.items()
        ),
    ]


def _mock_response(request: RoutedRequest) -> Any:
    from litellm.types.utils import ModelResponse, Usage

    if request.fails:
        return "litellm.InternalServerError"
    response = ModelResponse(
        model=None, choices=[{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop", "index": 0}]
    )
    details = {"cached_tokens": request.cached_tokens} if request.cached_tokens else None
    response.usage = Usage(  # type: ignore[attr-defined]
        prompt_tokens=request.input_tokens,
        completion_tokens=request.output_tokens,
        total_tokens=request.input_tokens + request.output_tokens,
        prompt_tokens_details=details,
    )
    return response


def routed_payloads(requests: Sequence[RoutedRequest]) -> list[dict[str, Any]]:
    """The StandardLoggingPayloads LiteLLM logs for the requests (a failing request logs one payload per attempt:
    the routed one with its decision, the fallbacks without), as JSON values."""
    import litellm
    from litellm import Router
    from litellm.integrations.custom_logger import CustomLogger

    payloads: list[dict[str, Any]] = []

    class Capture(CustomLogger):
        async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
            payloads.append(json.loads(json.dumps(kwargs["standard_logging_object"], default=str)))

        async def async_log_failure_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
            payloads.append(json.loads(json.dumps(kwargs["standard_logging_object"], default=str)))

    capture = Capture()
    litellm.callbacks = [capture]
    router = Router(
        model_list=_model_list(), fallbacks=[{"cheap": ["mid"]}, {"mid": ["big"]}], num_retries=0, retry_after=0
    )

    async def send() -> None:
        for request in requests:
            try:
                await router.acompletion(
                    model=request.router,
                    messages=[{"role": "user", "content": request.prompt}],
                    metadata={"tags": [f"task_type:{request.task_type}"]},
                    mock_response=_mock_response(request),
                )
            except litellm.InternalServerError:
                if not request.fails:
                    raise
        # loggers run as tasks after each call returns
        for _ in range(100):
            await asyncio.sleep(0.05)
            if len(payloads) >= len(requests):
                break
        await asyncio.sleep(0.2)

    try:
        asyncio.run(send())
    finally:
        litellm.callbacks = []
    return payloads
