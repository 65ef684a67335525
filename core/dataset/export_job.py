"""Writing an export archive as a job: what ``python -m core worker`` runs for the kind "export".

The Export page submits the recipe it shows, the data it blends (a built-in sample or the workspace's
uploads, :class:`~core.data.inputs.DataSpec`) and the fingerprint of what it shows
(:func:`core.dataset.digest.export_digest`); a worker loads the originals, samples the synthetic pool
again from the workspace's checkpoints (the recipe's generate calls), checks that the fingerprint is
the page's — so the archive offered is always the one of what the page showed — and writes the archive
into the workspace. A large export never blocks the server, a reload finds it running or done, and
Stop ends it within one example.

Job config (JSON)::

    {"recipe": {...},   # an auglab.recipe (core.dataset.recipe.Recipe.to_dict)
     "data": {...},     # core.data.inputs.DataSpec: {"builtin": "digits"} or {"files": [...], ...}
     "digest": "<hex>", # export_digest of recipe, originals and pool, as the page computed it
     "format": "zip"}   # "zip" (ImageFolder / CSV + JSONL) or "parquet" (the sharded Parquet folder,
                        # zipped: core.dataset.sharded.export_parquet_zip); left out: "zip"

Progress: ``done``, ``total``, ``fraction``, ``elapsed_s``, ``eta_s``, ``message``, ``notices``.
Result: ``archive`` (sha256 of the zip in the workspace), ``name``, ``digest``, ``items``, ``size``
(bytes), ``seconds``, ``format``; the archive is also the workspace's artifact ``export.images`` /
``export.text``, replacing the one before (one archive per kind is kept).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from core.config import from_mapping
from core.data.inputs import DataSpec, load_images, load_text
from core.dataset.digest import export_digest
from core.dataset.plan import plan
from core.dataset.recipe import Recipe
from core.dataset.writer import export_images, export_text
from core.errors import ConfigError
from core.workspace.worker import JobContext, Outcome

KIND = "export"
KEYS = {"recipe", "data", "digest", "format"}
REPORT_EVERY_S = 0.5  # progress written this often; also how often a stop request is looked for
ARCHIVE_NAMES = {"images": "auglab_images.zip", "text": "auglab_text.zip"}
FORMATS = ("zip", "parquet")
PARQUET_NAMES = {"images": "auglab_images_parquet.zip", "text": "auglab_text_parquet.zip"}
NO_PARQUET = (
    "Parquet exports need pyarrow, which this installation lacks: install AugLab's scale extra "
    "(pip install -e '.[scale]') and restart the app, or write the zip."
)


def parquet_available() -> bool:
    """Whether this installation can write Parquet (pyarrow, from the ``scale`` extra, is installed)."""
    from importlib.util import find_spec

    return find_spec("pyarrow") is not None


MAX_NOTICES = 20


def artifact_kind(kind: str) -> str:
    """The workspace's artifact kind of the last archive of ``kind`` ("images" or "text")."""
    return f"export.{kind}"


def export_config(
    recipe: Recipe, data: DataSpec | dict[str, Any], digest: str, fmt: str = "zip"
) -> dict[str, Any]:
    """The JSON-ready config of an export job (``fmt``: one of :data:`FORMATS`)."""
    spec = data if isinstance(data, DataSpec) else from_mapping(DataSpec, data, "export's data")
    return {
        "recipe": recipe.to_dict(),
        "data": {
            "builtin": spec.builtin,
            "files": [{"name": f.name, "sha256": f.sha256} for f in spec.files],
            "text_column": spec.text_column,
            "label_column": spec.label_column,
            "header": spec.header,
        },
        "digest": digest,
        "format": fmt,
    }


class _Stopped(Exception):
    """Raised from the writer's progress callback when a stop was asked (the writer then cleans up)."""


def _checkpoint_name(ctx: JobContext, sha256: str) -> str:
    for kind in ("pool.checkpoint", "checkpoint"):
        for artifact in ctx.store.artifacts(ctx.ws, kind):
            if artifact["sha256"] == sha256:
                return artifact["name"]
    return f"checkpoint {sha256[:12]}"


def run_export_job(ctx: JobContext) -> Outcome:
    """Handler of "export" jobs (see the module docstring)."""
    config = ctx.config
    if not isinstance(config, dict) or not {"recipe", "data", "digest"} <= set(config) <= KEYS:
        raise ConfigError('An export job needs "recipe", "data", "digest" and at most "format".')
    fmt = config.get("format", "zip")
    if fmt not in FORMATS:
        raise ConfigError(f"Unknown export format {fmt!r}; choose {' or '.join(FORMATS)}.")
    if fmt == "parquet" and not parquet_available():
        raise ConfigError(NO_PARQUET)
    recipe = Recipe.from_dict(config["recipe"])
    data = from_mapping(DataSpec, config["data"], "export's data")
    with ctx.busy("Loading the originals…"):
        load = load_images if recipe.kind == "images" else load_text
        originals, notices = load(data, ctx.read)
    synthetic: list[Any] = []
    extra: dict[str, bytes] = {}
    if recipe.include_synthetic and recipe.synthetic:
        from core.generators.pool import samples_from_checkpoint

        generator = "gan" if recipe.kind == "images" else "lstm"
        with ctx.busy("Sampling the synthetic pool again from its checkpoints…"):
            for call in recipe.synthetic:
                name = _checkpoint_name(ctx, call.sha256)
                checkpoint = ctx.read(call.sha256, name)
                synthetic += samples_from_checkpoint(
                    checkpoint, name, generator, call.seed, call.n, call.settings
                )
                extra[f"generators/{call.sha256}.pt"] = checkpoint
    if export_digest(recipe, originals, synthetic) != config["digest"]:
        raise ConfigError(
            "The data or the synthetic pool changed since the page showed this export (a file was "
            "replaced, or the pool changed in another tab); look at the Export page again and write it."
        )
    the_plan = plan(recipe, [o.label for o in originals], [s.label for s in synthetic])
    start = last = time.monotonic()
    base = {"notices": notices[:MAX_NOTICES], "message": "Writing the archive…"}

    def progress(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < REPORT_EVERY_S and done < total:
            return
        last = now
        elapsed = now - start
        eta = elapsed / done * (total - done) if done else None
        report = {**base, "done": done, "total": total, "fraction": done / max(total, 1)}
        if ctx.report({**report, "elapsed_s": elapsed, "eta_s": eta}):
            raise _Stopped

    with tempfile.TemporaryDirectory(prefix="auglab-export-") as folder:
        try:
            if fmt == "parquet":
                from core.dataset.sharded import export_parquet_zip

                out = Path(folder) / PARQUET_NAMES[recipe.kind]
                summary = export_parquet_zip(recipe, originals, synthetic, out, progress, extra)
            else:
                write = export_images if recipe.kind == "images" else export_text
                out = Path(folder) / ARCHIVE_NAMES[recipe.kind]
                summary = write(the_plan, originals, synthetic, recipe, out, progress, extra)
        except _Stopped:
            return Outcome("stopped", "Stopped: no archive was written.")
        payload = out.read_bytes()
    sha = ctx.put(payload, out.name)
    kind = artifact_kind(recipe.kind)
    earlier = ctx.store.artifacts(ctx.ws, kind)
    meta = {
        "digest": config["digest"],
        "items": summary.items,
        "size": len(payload),
        "seconds": summary.seconds,
        "format": fmt,
    }
    ctx.store.add_artifact(ctx.ws, kind, out.name, sha, meta)
    for artifact in earlier:  # only the last archive of each kind is kept
        ctx.store.remove_artifact(ctx.ws, artifact["id"])
    result = {"archive": sha, "name": out.name, **meta}
    done = {**base, "done": summary.items, "total": summary.items, "fraction": 1.0, "eta_s": 0.0}
    done["elapsed_s"] = summary.seconds
    return Outcome(
        "finished", f"{summary.items:,} examples written in {summary.seconds:.1f} s.", done, result
    )
