"""Export: blend originals, augmented variants and synthetic samples into a split dataset archive.

- :mod:`core.dataset.recipe`: the :class:`~core.dataset.recipe.Recipe` (what goes in; JSON round trip).
- :mod:`core.dataset.plan`: the plan (balance, caps, the stratified split), from labels alone.
- :mod:`core.dataset.writer`: the zip (PNG class folders or CSV + JSONL, manifest, recipe).
- :mod:`core.dataset.csv_cells`: the spreadsheet guard of the archive's CSV cells, and its inverse.
- :mod:`core.dataset.reader`: an archive read back (splits, recipe, checksums).
- :mod:`core.dataset.replay`: ``python -m core export``: a recipe (or an archive) rebuilt headless.
- :mod:`core.dataset.digest`: one fingerprint of an export's inputs (the page keys archives by it).
"""
