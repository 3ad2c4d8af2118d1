"""Task profile audit: every task type in routing.yaml or in the logs, with the profile routing relies on (tier,
quality oracle, blast radius, expected output, baseline escalation rate), what the logs in view show of it, and the
warnings a reviewer should act on; rows with warnings are highlighted."""

import numpy as np
import pandas as pd
import polars as pl
import streamlit as st
from pandas.io.formats.style import Styler

from tierscope.dashboard import cache, filters
from tierscope.format import count

WARNED = "background-color: #FBE3D6"  # a light tint of the flag colour (Okabe-Ito vermillion)
AUDIT_COLUMNS = {
    "task_type": st.column_config.TextColumn("task type"),
    "warning_count": st.column_config.NumberColumn("warnings", width="small", help="Listed in full below"),
    "tier": st.column_config.TextColumn("tier", width="small", help="routing.yaml's tier, else the default tier"),
    "is_in_audit": st.column_config.CheckboxColumn("listed", width="small", help="In routing.yaml's tasks"),
    "blast_radius": st.column_config.TextColumn("blast radius", width="small"),
    "quality_gate": st.column_config.TextColumn("quality oracle", help="How a wrong answer is caught"),
    "expected_output_tokens": st.column_config.NumberColumn("expected output tokens", format="localized"),
    "baseline_escalation_rate": st.column_config.NumberColumn("baseline escalation", format="percent"),
    "calls": st.column_config.NumberColumn("calls", format="localized"),
    "cost_usd": st.column_config.NumberColumn("cost", format="dollar", help="Priced calls only"),
    "output_cost_share": st.column_config.NumberColumn("output share of cost", format="percent"),
    "calls_over_guard": st.column_config.NumberColumn(
        "calls over guard", format="localized", help="Input above the context guard of the tier's first model"
    ),
    "warnings": st.column_config.TextColumn("what is wrong", width="large"),
}


def highlighted(audit: pl.DataFrame) -> Styler:
    """The audit table with its rows that carry warnings tinted."""
    table = audit.select(
        "task_type",
        pl.col("warnings").list.len().alias("warning_count"),
        *(column for column in AUDIT_COLUMNS if column not in ("task_type", "warning_count", "warnings")),
        pl.col("warnings").list.join(" · ").alias("warnings"),
    ).to_pandas()
    row_styles = np.where(table["warning_count"].to_numpy() > 0, WARNED, "")

    def tint(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(np.repeat(row_styles[:, None], frame.shape[1], axis=1), frame.index, frame.columns)

    return table.style.apply(tint, axis=None)


st.title("Task profile audit")
scope = filters.page_scope()
st.caption(filters.describe(scope) + " · the profile columns come from routing.yaml, the observed ones from the logs")

audit = cache.task_audit(scope)
warning_counts = audit["warnings"].list.len()
task_types, warned_task_types, warnings = st.columns(3)
task_types.metric("Task types", count(audit.height), help="In routing.yaml or in the logs in view", border=True)
warned_task_types.metric("Task types with warnings", count(int((warning_counts > 0).sum())), border=True)
warnings.metric("Warnings", count(int(warning_counts.sum())), border=True)

st.dataframe(highlighted(audit), column_config=AUDIT_COLUMNS, hide_index=True)

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
