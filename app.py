"""AugLab's entry point: ``streamlit run app.py``. The router and the frame every page shares.

Pages live in ``pages/`` (one thin file each) and are registered here with ``st.navigation``, so the
menu shows proper names and icons and each page has a stable URL (``/images``, ``/text``, ...).
"""

from __future__ import annotations

import streamlit as st

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
navigation.run()
