"""The dashboard's pages, one file each, run by the router (dashboard/app.py) through ``st.navigation``.

The folder is not called ``pages``: Streamlit turns a ``pages/`` folder beside the entry script into navigation of
its own, which runs a page without the router (no filters) when a session opens on a page link.
"""
