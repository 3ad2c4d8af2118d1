"""Task profile audit: every task type in routing.yaml or in the logs, with the profile routing relies on (tier,
quality oracle, blast radius, expected output, baseline escalation rate), what the logs in view show of it, and the
warnings a reviewer should act on; rows with warnings are highlighted."""

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, filters, tables
from tierscope.dashboard.tables import Column
from tierscope.format import count

# The warnings themselves are listed in full under the table, so the table keeps to what fits on a screen.
AUDIT_COLUMNS = {
    "task_type": Column("task type"),
    "warning_count": Column("warnings", "count", "Listed in full below"),
    "tier_shown": Column("tier", help="routing.yaml's tier; (default): not in routing.yaml, so its default tier"),
    "blast_radius": Column("blast", help="Blast radius of a wrong answer (routing.yaml)"),
    "quality_gate": Column("quality oracle", help="How a wrong answer is caught (routing.yaml)", width=210),
    "expected_output_tokens": Column("exp. output", "count", "Expected output tokens per call (routing.yaml)"),
    "baseline_escalation_rate": Column("baseline", "percent", "Baseline escalation rate (routing.yaml)"),
    "calls": Column("calls", "count", "Calls in view"),
    "cost_usd": Column("cost", "money", "Priced calls in view"),
    "output_cost_share": Column("out share", "percent", "Output tokens' share of the cost"),
    "calls_over_guard": Column("over guard", "count", "Calls with input above the context guard of the tier's model"),
}


def audit_table(audit: pl.DataFrame) -> pl.DataFrame:
    """The audit rows as the table shows them: the number of warnings, and the tier marked when it is the default
    tier of a task type routing.yaml does not list."""
    return audit.with_columns(
        pl.col("warnings").list.len().alias("warning_count"),
        pl.when(pl.col("is_in_audit"))
        .then(pl.col("tier"))
        .otherwise(pl.concat_str("tier", pl.lit(" (default)")))
        .alias("tier_shown"),
    )


st.title("Task profile audit")
scope = filters.page_scope()
st.caption(filters.describe(scope) + " · the profile columns come from routing.yaml, the observed ones from the logs")

audit = cache.task_audit(scope)
warning_counts = audit["warnings"].list.len()
task_types, warned_task_types, warnings = st.columns(3)
task_types.metric("Task types", count(audit.height), help="In routing.yaml or in the logs in view", border=True)
warned_task_types.metric("Task types with warnings", count(int((warning_counts > 0).sum())), border=True)
warnings.metric("Warnings", count(int(warning_counts.sum())), border=True)

tables.show(audit_table(audit), AUDIT_COLUMNS, highlight=warning_counts > 0)

st.subheader("What to look at")
flagged = audit.filter(pl.col("warnings").list.len() > 0)
if flagged.is_empty():
    st.success("Every task type's profile is in order.", icon=":material/check_circle:")
for task_type, tier, task_warnings in flagged.select("task_type", "tier", "warnings").rows():
    st.markdown(f"**{task_type}** ({tier})" + "".join(f"\n- {warning}" for warning in task_warnings))
st.caption(
    "The audit warns about: a task type seen in the logs but missing from routing.yaml; a high blast radius on "
    "the first tier without a quality gate; output-heavy task types (output over half the cost); calls over the "
    "context guard; no quality oracle declared."
)
