"""AugLab's entry point: ``streamlit run app.py``. The router and the frame every page shares.

Pages live in ``pages/`` (one thin file each) and are registered here with ``st.navigation``, so the
menu shows proper names and icons and each page has a stable URL (``/images``, ``/text``, ...).
The frame opens the session's workspace (``?ws=`` in the URL, see ui.workspace) before the page runs,
so the page's widgets start from the workspace's saved settings.
"""

from __future__ import annotations

import streamlit as st

from ui import workspace
from ui.common import PAGES, page_frame

st.set_page_config(page_title="AugLab", page_icon=":material/science:", layout="wide")
navigation = st.navigation(
    [
        st.Page(script, title=title, icon=icon, default=index == 0)
        for index, (script, title, icon) in enumerate(PAGES)
    ]
)
st.set_page_config(page_title=f"{navigation.title} · AugLab")  # the browser tab names the page
page_frame()
workspace.sidebar(workspace.current_workspace())
navigation.run()
workspace.save_settings()  # what the page set itself; a page that stopped early is saved next run
