"""AugLab's processing core: augmentation, datasets, generators and export, without any UI.

Nothing in this package imports streamlit; every function is usable from a script, a test or the
headless CLI (``python -m core --help``).
"""
