"""The tierscope dashboard: a router. It declares the sections and pages, draws the global filters in the
sidebar and runs the chosen page; each page lives in dashboard/views/.

Run it with ``tierscope dashboard --db PATH`` (or ``streamlit run dashboard/app.py`` with TIERSCOPE_DB set).
"""

from pathlib import Path

import duckdb
import streamlit as st

from tierscope.dashboard import cache, drill, filters, live
from tierscope.queries.config import ConfigError

# A file shipped with the package, served by the app itself: a material icon as page_icon is fetched from a font
# host, and a local dashboard fetches nothing from outside the machine.
ICON = Path(__file__).resolve().parent / "icon.png"
st.set_page_config(page_title="tierscope", page_icon=str(ICON), layout="wide")

try:
    cache.connection()
except (duckdb.IOException, ConfigError) as error:
    # one read-write process per database (docs/streaming.md); say which process holds it (or which config file is
    # wrong) instead of showing a traceback.
    st.error(f"Cannot open the database `{cache.database().path}`: {error}", icon=":material/error:")
    st.stop()

page = st.navigation(
    {
        "Spend": [
            st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
            st.Page("views/task_costs.py", title="Task costs", icon=":material/receipt_long:"),
            st.Page("views/breakdown.py", title="Users and models", icon=":material/group:"),
            st.Page("views/anomalies.py", title="Spend anomalies", icon=":material/troubleshoot:"),
            st.Page("views/calls.py", title="Calls", icon=":material/list_alt:"),
        ],
        "Routing": [
            st.Page("views/tier_mix.py", title="Tier mix", icon=":material/stacked_bar_chart:"),
            st.Page("views/drift.py", title="Escalation drift", icon=":material/trending_up:"),
            st.Page("views/whatif.py", title="What-if", icon=":material/alt_route:"),
            st.Page("views/profiling.py", title="Profiling", icon=":material/science:"),
            st.Page("views/audit.py", title="Task profile audit", icon=":material/fact_check:"),
            st.Page("views/router.py", title="Router audit", icon=":material/route:"),
        ],
        "Data": [
            st.Page("views/data.py", title="Data", icon=":material/database:"),
        ],
    }
)
filters.sidebar()
drill.switch_if_asked()  # a click on a chart or a table asked for its calls: the filters are set, go there
live.sidebar()
filters.show_link_problems()
page.run()
