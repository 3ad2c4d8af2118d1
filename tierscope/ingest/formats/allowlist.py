"""What ``tierscope serve`` keeps of a record before it is written to the spool: what the readers read, no more.

The spool is a file on disk, so prompt and completion text must not reach it (nor anything else a reader never
reads). Each format has an allow-list derived from its reader (``queries/sql/ingest/read_litellm.sql`` and
``read_otel.sql``; ``tests/test_serve.py`` checks the lists against the readers' ``from_json`` shapes and attribute
keys). Everything not listed is dropped: message content, response content, tool definitions, error text, span
events and links, span names, status messages, scope and unknown keys. Kept values are kept as sent, numbers as
their value (``json`` writes them again); a key repeated within one JSON object counts with its last value.

LiteLLM StandardLoggingPayload:

- scalars (text, number, boolean, null; an object or list there is dropped): ``id``, ``trace_id``, ``call_type``,
  ``status``, ``startTime``, ``endTime``, ``model``, ``model_group``, ``custom_llm_provider``, ``prompt_tokens``,
  ``completion_tokens``, ``response_cost``, ``cache_hit``, ``end_user``, ``autorouter_savings``,
  ``model_parameters.service_tier``, the scalar facts of ``metadata.routing_decision`` the reader reads (never
  ``signals``, ``matched_keyword``, ``escalation_keyword``, ``classifier_crux`` or ``switchyard_evidence``),
  ``metadata.user_api_key_alias`` / ``_team_alias`` / ``_team_id`` / ``_user_id`` / ``_end_user_id`` and the token
  counts of ``metadata.usage_object`` the reader reads;
- ``request_tags``: its scalar items (a string holding a JSON list is read as that list);
- ``response``: only ``{"model": ...}`` when it is an object (the served model), else nothing;
- ``metadata.spend_logs_metadata`` and ``metadata.requester_metadata``: custom attributes, below.

OpenTelemetry OTLP/JSON: ``resourceSpans[].resource.attributes``, ``resourceSpans[].scopeSpans[].spans[]`` with
``traceId``, ``spanId``, ``startTimeUnixNano``, ``endTimeUnixNano``, ``status.code`` and ``attributes``. Of an
attribute list, the first occurrence of each key counts (as in the reader); the attributes read into a call's fields
(:data:`OTEL_SPAN_FIELDS`, the resource's ``service.name``) keep their scalar value; the ones the reader leaves out of
a call's attributes (:data:`OTEL_UNREAD`, not read into a field) are dropped; every other one is a custom attribute.

Custom attributes: their values are stored nowhere by the readers. The database keeps, for a call of unknown task
type, only the keys whose value is a text of 1 to 64 characters (``attribute_keys``, ``hint_attribute_keys`` in
``format_macros.sql``), and the value of the keys that routing.yaml's ``task_type_from: - attribute: KEY`` rules
name. So a custom attribute keeps its key and:

- its value as sent (a scalar) when a task_type rule names it;
- else :data:`WITHHELD` in place of a text of 1 to 64 characters (the key stays a task-type hint);
- else no value: ``""`` for LiteLLM metadata (``null`` stays ``null``, which removes a key when the reader merges
  the two metadata objects), an empty OTLP value.

A content attribute (:data:`CONTENT_KEY`: ``gen_ai.prompt``, ``gen_ai.input.messages``...) keeps its key with no
value, even when a task_type rule names it: its content never passes and never becomes a task type or a hint.

The rules are those of the routing file ``serve`` starts with (``--routing`` / ``TIERSCOPE_ROUTING``): a task type
comes from an attribute only when that file names the attribute, as it would when ``ingest`` runs with that file.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

WITHHELD: Final = "withheld"
# hint_attribute_keys (queries/sql/ingest/format_macros.sql): the value lengths that make a key a task-type hint
HINT_CHARS: Final = range(1, 65)

# Attributes that carry prompts, completions, instructions or tool payloads in the OpenTelemetry GenAI conventions
# (gen_ai.input.messages, gen_ai.system_instructions...), their older spellings (gen_ai.prompt.0.content), OpenLIT
# (gen_ai.content.*), OpenInference (llm.input_messages, input.value) and OpenLLMetry (traceloop.entity.input).
CONTENT_KEY: Final = re.compile(
    r"^(gen_ai\.(prompt|completion|input\.messages|output\.messages|system_instructions|tool\.definitions"
    r"|tool\.call\.(arguments|result)|content)(\.|$)"
    r"|llm\.(input_messages|output_messages|prompts)(\.|$)|(input|output)\.value$|traceloop\.entity\.(input|output)$)"
)
# read_otel.sql leaves the attributes matching this out of a call's attributes (the regexp in its `attributes`)
OTEL_UNREAD: Final = re.compile(
    r"^(gen_ai\.(usage|request|response|provider|system|operation)|error\.|server\.|telemetry\.)"
)
# the span attributes read_otel.sql reads into a call's fields (span_attributes['...'])
OTEL_SPAN_FIELDS: Final = frozenset(
    {
        "gen_ai.operation.name",
        "gen_ai.request.model",
        "gen_ai.response.model",
        "gen_ai.provider.name",
        "gen_ai.system",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.prompt_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
        "gen_ai.usage.reasoning.output_tokens",
        "gen_ai.usage.reasoning_tokens",
        "gen_ai.usage.cost",
        "error.type",
        "openai.response.service_tier",
        "openai.request.service_tier",
        "gen_ai.openai.response.service_tier",
        "user.id",
        "enduser.id",
        "team",
    }
)
# the resource attributes read_otel.sql reads into a call's fields (resource_map['...'])
OTEL_RESOURCE_FIELDS: Final = frozenset({"service.name"})
# an OTLP AnyValue's fields the reader reads as text, in its coalesce order (arrayValue last, as JSON text)
OTEL_SCALAR_VALUES: Final = ("stringValue", "intValue", "doubleValue", "boolValue")
OTEL_ARRAY_VALUE: Final = "arrayValue"


class Keep(enum.Enum):
    """How a listed field is kept."""

    SCALAR = "a JSON scalar, as sent"
    TAGS = "the scalar items of a list"
    SERVED_MODEL = "an object cut down to its model"
    ATTRIBUTES = "custom attributes"


Spec = Mapping[str, "Keep | Spec"]

LITELLM: Final[Spec] = {
    **dict.fromkeys(
        (
            "id",
            "trace_id",
            "call_type",
            "status",
            "startTime",
            "endTime",
            "model",
            "model_group",
            "custom_llm_provider",
            "prompt_tokens",
            "completion_tokens",
            "response_cost",
            "cache_hit",
            "end_user",
            "autorouter_savings",
        ),
        Keep.SCALAR,
    ),
    "request_tags": Keep.TAGS,
    "response": Keep.SERVED_MODEL,
    "model_parameters": {"service_tier": Keep.SCALAR},
    "metadata": {
        **dict.fromkeys(
            (
                "user_api_key_alias",
                "user_api_key_team_alias",
                "user_api_key_team_id",
                "user_api_key_user_id",
                "user_api_key_end_user_id",
            ),
            Keep.SCALAR,
        ),
        "spend_logs_metadata": Keep.ATTRIBUTES,
        "requester_metadata": Keep.ATTRIBUTES,
        # the scalar facts of the decision; never the fields LiteLLM marks as quoting the prompt (signals,
        # matched_keyword, escalation_keyword, classifier_crux, switchyard_evidence), which are not listed
        "routing_decision": dict.fromkeys(
            (
                "router_model_name",
                "router_type",
                "tier",
                "tier_label",
                "routed_model",
                "savings_baseline_model",
                "classifier_model",
                "classifier_cost",
                "escalated",
                "context_escalated",
                "cause",
                "score",
            ),
            Keep.SCALAR,
        ),
        "usage_object": {
            "cache_read_input_tokens": Keep.SCALAR,
            "cache_creation_input_tokens": Keep.SCALAR,
            "prompt_tokens_details": {"cached_tokens": Keep.SCALAR, "cache_creation_tokens": Keep.SCALAR},
            "completion_tokens_details": {"reasoning_tokens": Keep.SCALAR},
        },
    },
}

# The OTLP fields kept besides attribute lists (which _otel_attributes keeps): per level, scalar fields and objects.
OTEL_SPAN: Final[Spec] = {
    **dict.fromkeys(("traceId", "spanId", "startTimeUnixNano", "endTimeUnixNano"), Keep.SCALAR),
    "status": {"code": Keep.SCALAR},
}

_DROP: Final = object()


class ShapeError(ValueError):
    """A record whose structure is not the format's (the message names where)."""


@dataclass(frozen=True)
class Context:
    """What a projection needs besides the record: the task_type rules' attribute keys, and the JSON parser for text
    found inside a record (LiteLLM metadata sent as a string), which applies the body's guards (depth, number size)."""

    rule_keys: frozenset[str]
    load: Callable[[str], Any]


# JSON scalars as the json module makes them (exact types: a test by type is the cheapest per value)
SCALAR_TYPES: Final = frozenset({str, int, float, bool, type(None)})
Projection = Callable[[Any, Context], Any]


def _is_scalar(value: object) -> bool:
    return type(value) in SCALAR_TYPES


def _embedded(value: object, kind: type, context: Context) -> object:
    """``value`` when it is of ``kind``; the JSON it holds when it is text holding a ``kind`` (as the readers'
    json_object_or_empty and json_list_or_null read it)."""
    if isinstance(value, kind):
        return value
    if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
        try:
            inner = context.load(value)
        except (ValueError, RecursionError):
            return _DROP
        return inner if isinstance(inner, kind) else _DROP
    return _DROP


def _tags(value: object, context: Context) -> object:
    tags = _embedded(value, list, context)
    return [tag for tag in tags if type(tag) in SCALAR_TYPES] if isinstance(tags, list) else _DROP


def _served_model(value: object, context: Context) -> object:
    if not isinstance(value, dict):
        return _DROP
    model = value.get("model")
    return {"model": model} if "model" in value and type(model) in SCALAR_TYPES else {}


def _attributes(value: object, context: Context) -> object:
    attributes = _embedded(value, dict, context)
    if not isinstance(attributes, dict):
        return _DROP
    return {key: _custom_litellm(key, item, context) for key, item in attributes.items()}


_KEEPERS: Final[dict[Keep, Projection]] = {
    Keep.TAGS: _tags,
    Keep.SERVED_MODEL: _served_model,
    Keep.ATTRIBUTES: _attributes,
}


def _compile(spec: Spec) -> Projection:
    """The projection of an object onto ``spec``, made once: per level, its scalar keys in one comprehension and a
    function for each other key (a record passes through it many times a second)."""
    scalars = tuple(key for key, rule in spec.items() if rule is Keep.SCALAR)
    others = tuple(
        (key, _compile(rule) if isinstance(rule, Mapping) else _KEEPERS[rule])
        for key, rule in spec.items()
        if rule is not Keep.SCALAR
    )

    def project(value: Any, context: Context) -> Any:
        if not isinstance(value, dict):
            return _DROP
        kept = {key: value[key] for key in scalars if key in value and type(value[key]) in SCALAR_TYPES}
        for key, keep in others:
            if key in value:
                projected = keep(value[key], context)
                if projected is not _DROP:
                    kept[key] = projected
        return kept

    return project


_PROJECT_LITELLM: Final = _compile(LITELLM)
_PROJECT_OTEL_SPAN: Final = _compile(OTEL_SPAN)


def project_litellm(payload: Mapping[str, Any], context: Context) -> dict[str, Any]:
    """The StandardLoggingPayload cut down to :data:`LITELLM` (see the module's description)."""
    kept: dict[str, Any] = _PROJECT_LITELLM(payload, context)
    return kept


def _is_rule_key(key: str, context: Context) -> bool:
    return key in context.rule_keys and not CONTENT_KEY.match(key)


def _is_hint(key: str, text: str | None) -> bool:
    """Whether the readers would offer the key as a task-type hint (a content attribute never is here)."""
    return text is not None and len(text) in HINT_CHARS and not CONTENT_KEY.match(key)


def _custom_litellm(key: str, value: object, context: Context) -> object:
    """A custom attribute of LiteLLM metadata: null stays null (it removes the key when the metadata are merged)."""
    if value is None or (_is_rule_key(key, context) and _is_scalar(value)):
        return value
    return WITHHELD if isinstance(value, str) and _is_hint(key, value) else ""


def project_otel(request: Mapping[str, Any], context: Context) -> dict[str, Any]:
    """An OTLP/JSON ExportTraceServiceRequest cut down to what read_otel.sql reads (see the module's description).

    Raises :class:`ShapeError` when a list or object the reader walks has another shape."""
    kept = []
    for index, resource_span in enumerate(_objects(request.get("resourceSpans"), "resourceSpans", required=True)):
        where = f"resourceSpans[{index}]"
        projected: dict[str, Any] = {}
        resource = resource_span.get("resource")
        if isinstance(resource, dict) and "attributes" in resource:
            attributes = resource["attributes"]
            projected["resource"] = {
                "attributes": _otel_attributes(
                    attributes, OTEL_RESOURCE_FIELDS, context, f"{where}.resource.attributes"
                )
            }
        if "scopeSpans" in resource_span:
            projected["scopeSpans"] = [
                {"spans": _otel_spans(scope_span.get("spans"), context, f"{where}.scopeSpans[{position}].spans")}
                for position, scope_span in enumerate(_objects(resource_span["scopeSpans"], f"{where}.scopeSpans"))
            ]
        kept.append(projected)
    return {"resourceSpans": kept}


def _objects(value: object, where: str, *, required: bool = False) -> list[dict[str, Any]]:
    """A list of objects (absent or null: none, unless ``required``)."""
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise ShapeError(f"{where}: a list expected")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ShapeError(f"{where}[{index}]: a JSON object expected")
    return value


def _otel_spans(spans: object, context: Context, where: str) -> list[dict[str, Any]]:
    kept = []
    for index, span in enumerate(_objects(spans, where)):
        projected = _PROJECT_OTEL_SPAN(span, context)
        if "attributes" in span:
            attributes = span["attributes"]
            projected["attributes"] = _otel_attributes(
                attributes, OTEL_SPAN_FIELDS, context, f"{where}[{index}].attributes"
            )
        kept.append(projected)
    return kept


def _otel_attributes(attributes: object, fields: frozenset[str], context: Context, where: str) -> list[dict[str, Any]]:
    kept: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, attribute in enumerate(_objects(attributes, where)):
        key = attribute.get("key")
        if not isinstance(key, str):
            raise ShapeError(f"{where}[{index}].key: a string expected")
        if key in seen:  # the reader keeps a repeated key's first value
            continue
        seen.add(key)
        value = attribute.get("value")
        value = value if isinstance(value, dict) else {}
        if key in fields or _is_rule_key(key, context):
            scalars = {name: value[name] for name in OTEL_SCALAR_VALUES if _is_present_scalar(value, name)}
            kept.append({"key": key, "value": scalars})
        elif not OTEL_UNREAD.match(key):
            kept.append({"key": key, "value": {"stringValue": WITHHELD} if _is_hint(key, _otel_text(value)) else {}})
    return kept


def _is_present_scalar(value: Mapping[str, Any], name: str) -> bool:
    return value.get(name) is not None and _is_scalar(value[name])


def _otel_text(value: Mapping[str, Any]) -> str | None:
    """The attribute's value as the reader reads it: the first of the scalar fields, else the array as JSON text."""
    for name in (*OTEL_SCALAR_VALUES, OTEL_ARRAY_VALUE):
        item = value.get(name)
        if item is not None:
            if isinstance(item, str):
                return item
            if isinstance(item, bool):
                return "true" if item else "false"
            return json.dumps(item, separators=(",", ":"), ensure_ascii=False)
    return None
