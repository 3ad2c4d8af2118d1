"""The canonical fields of a call (docs/formats.md) and the common alias names the generic format accepts.

Their names are listed here; their types are declared once, by the ``calls`` table (queries/sql/schema/tables.sql),
and read from the database by :func:`field_types`.
"""

from __future__ import annotations

import duckdb

# A content-based router's decision for the call (LiteLLM's metadata.routing_decision and autorouter_savings;
# docs/router.md). All NULL for a call no router decided. Fields that quote the prompt are never among them.
ROUTER_FIELDS: tuple[str, ...] = (
    "router_name",
    "router_type",
    "router_tier",
    "routed_model",
    "savings_baseline_model",
    "classifier_model",
    "classifier_cost_usd",
    "router_escalated",
    "router_context_escalated",
    "router_cause",
    "router_score",
    "autorouter_savings_usd",
)

CANONICAL_FIELDS: tuple[str, ...] = (
    "request_id",
    "trace_id",
    "started_at",
    "task_type",
    "requested_model",
    "served_model",
    "provider",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "latency_ms",
    "status",
    "escalated",
    "quality_passed",
    "reported_cost_usd",
    "service_tier",
    "user_id",
    "team",
    "feature",
    "tags",
    *ROUTER_FIELDS,
)


def field_types(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each canonical field's DuckDB type (``DOUBLE``, ``BOOLEAN``, ``VARCHAR[]``...) as the calls table declares it."""
    stored = dict(
        con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = current_database() and schema_name = 'main' and table_name = 'calls'"
        ).fetchall()
    )
    return {field: str(stored[field]) for field in CANONICAL_FIELDS}


# What a reader stages: the canonical fields plus the source's attributes (a JSON object: metadata, span attributes,
# custom properties), which routing.yaml's task_type_from rules read. Attributes are used, never stored.
STAGED_FIELDS: tuple[str, ...] = (*CANONICAL_FIELDS, "attributes")

# canonical field -> other names accepted for it, in priority order (the canonical name always wins).
GENERIC_ALIASES: dict[str, tuple[str, ...]] = {
    "started_at": ("timestamp", "ts", "start_time"),
    "served_model": ("model", "response_model"),
    "input_tokens": ("prompt_tokens",),
    "output_tokens": ("completion_tokens",),
    "cached_input_tokens": ("cached_tokens",),
    "reported_cost_usd": ("cost_usd",),
    "attributes": ("metadata",),
}


def accepted_names(field: str) -> tuple[str, ...]:
    """The names a generic file may use for a canonical field, canonical first."""
    return (field, *GENERIC_ALIASES.get(field, ()))
