"""Tests for the engines: local, processes and Ray write the same bytes shard by shard; Ray Data reads
the Parquet export back; a worker that sees other inputs refuses to write; the app and the zip export
never import Ray, ``datasets`` or pyarrow; the package installs an ``auglab`` command.

Ray is started here (2 CPUs, no dashboard) once for the module and shut down after it. Ray Data and
``datasets`` are part of the ``scale`` extra that ``make test`` installs: without them these tests
fail, they are not skipped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from collections import Counter
from pathlib import Path

import pytest
import ray
import ray.data
from scale_cases import ROOT, make_input_zip, manifest_of, recipe_for

from core.cli.main import main
from core.dataset.digest import export_digest
from core.dataset.engines import ShardJob, run_job
from core.dataset.replay import load_originals, run_export
from core.dataset.sharded import export_sharded
from core.dataset.shards import INDEX_NAME
from core.errors import ConfigError


def quiet(line: str) -> None:
    pass


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray of 2 CPUs for this module, shut down after it."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="warning")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return make_input_zip(tmp_path_factory.mktemp("in") / "originals.zip")


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every shard file, recomputed, by name."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(INDEX_NAME) and ".auglab-tmp" not in p.parts
    }


@pytest.fixture(scope="module")
def local_parquet(source, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("local") / "pq"
    export_sharded(recipe_for(source), folder, "parquet", "local", shard_rows=16, notify=quiet)
    return folder


@pytest.mark.parametrize(
    ("fmt", "engine"),
    [
        ("parquet", "processes"),  # 2 spawned processes, each loading the inputs itself
        ("parquet", "ray"),  # Ray Data tasks on the module's Ray
        ("imagefolder", "processes"),  # PNG files and manifest parts
    ],
)
def test_every_engine_writes_the_same_bytes_shard_by_shard(
    source, local_parquet, tmp_path, ray_cluster, fmt, engine
):
    if fmt == "parquet":
        expected = local_parquet
    else:
        expected = tmp_path / "local"
        export_sharded(recipe_for(source), expected, fmt, "local", shard_rows=16, notify=quiet)
    summary = export_sharded(
        recipe_for(source), tmp_path / "out", fmt, engine, 2, shard_rows=16, notify=quiet
    )
    got = digests(tmp_path / "out")
    assert got == digests(expected)
    index = json.loads((tmp_path / "out" / INDEX_NAME).read_text())
    assert index["complete"] and len(index["shards"]) == summary.shards == 8  # 6 train, 1 val, 1 test
    assert {name: entry["sha256"] for name, entry in index["shards"].items()} == {
        name: got[name] for name in index["shards"]
    }


def test_ray_data_reads_the_parquet_export(source, local_parquet, tmp_path, ray_cluster):
    run_export(recipe_for(source), tmp_path / "d.zip", notify=quiet)
    with zipfile.ZipFile(tmp_path / "d.zip") as zf:
        manifest = manifest_of(zf.read("manifest.csv"))
    names = sorted({r["label"].lstrip("'") for r in manifest})
    data = ray.data.read_parquet(str(local_parquet))
    assert data.count() == len(manifest)
    rows = list(data.select_columns(["label", "split", "source", "sha256"]).iter_rows())
    got = Counter((names[r["label"]], r["split"], r["source"]) for r in rows)
    assert got == Counter((r["label"].lstrip("'"), r["split"], r["source"]) for r in manifest)
    assert sorted(r["sha256"] for r in rows) == sorted(r["sha256"] for r in manifest)


def test_cli_ray_shows_progress_and_start_up(source, local_parquet, tmp_path, capsys, ray_cluster):
    recipe = tmp_path / "recipe.json"
    recipe.write_text(recipe_for(source).to_json())
    args = ["export", "--recipe", str(recipe), "--out", str(tmp_path / "pq"), "--format", "parquet"]
    assert main([*args, "--engine", "ray", "--workers", "2", "--shard-rows", "16"]) == 0
    err = capsys.readouterr().err
    assert "/8 shards (" in err and "8/8 shards" in err and "done)" in err
    assert re.search(r"; Ray start-up \d+\.\d s\)", err)  # here only readying the workers ...
    assert ray.is_initialized()  # ... and the module's Ray, which it did not start, is left running
    assert digests(tmp_path / "pq") == digests(local_parquet)


@pytest.mark.parametrize(
    "engine",
    [
        "processes",  # the sentence comes back through the process pool
        "ray",  # ... and out of Ray's own error
    ],
)
def test_a_worker_that_reads_other_inputs_refuses(source, tmp_path, monkeypatch, ray_cluster, engine):
    import core.dataset.replay as replay

    real = replay.load_originals

    def altered(*args):  # the driver sees one pixel changed; the workers read the file as it is
        originals = real(*args)
        changed = originals[0].array.copy()
        changed[0, 0] ^= 1
        return [dataclasses.replace(originals[0], array=changed), *originals[1:]]

    monkeypatch.setattr(replay, "load_originals", altered)
    with pytest.raises(
        ConfigError, match="read other originals or generator checkpoints than the driver"
    ) as err:
        export_sharded(recipe_for(source), tmp_path / "pq", "parquet", engine, 2, shard_rows=16, notify=quiet)
    assert str(err.value).endswith("must see the same files at the same paths.")  # the sentence alone
    assert list((tmp_path / "pq").rglob("*.parquet")) == []  # no shard of other bytes was written


def test_a_job_runs_the_same_in_this_process(source, local_parquet, tmp_path):
    """What a worker does with a job, called directly: the shard's bytes, and the digest check."""
    recipe = recipe_for(source)
    index = json.loads((local_parquet / INDEX_NAME).read_text())
    name = "data/validation-00000-of-00001.parquet"
    entry = index["shards"][name]
    from core.dataset.shards import Shard

    shard = Shard("val", 0, 1, entry["start"], entry["stop"], name)
    originals = load_originals("images", (str(source),), "text", "label", quiet)
    digest = export_digest(recipe, originals, [])  # what the driver computes
    job = ShardJob(recipe.to_json(), (str(source),), None, digest, "parquet", str(tmp_path), shard)
    result = run_job(job)
    assert result.sha256 == entry["sha256"] == hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    with pytest.raises(ConfigError, match="same files at the same paths"):
        run_job(dataclasses.replace(job, digest="0" * 32))


NO_SCALE_IMPORTS = """
import sys
import app_imports
from core.cli.main import main
status = main(["export", "--recipe", sys.argv[1], "--out", sys.argv[2], "--quiet"])
loaded = sorted(m for m in ("ray", "datasets", "pyarrow") if m in sys.modules)
print(status, loaded)
"""


def test_the_zip_export_and_the_core_never_import_the_scale_extra(source, tmp_path):
    (tmp_path / "recipe.json").write_text(recipe_for(source).to_json())
    # Every module of core/ but the sharded export's own, as the app and the zip export load them.
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "core").rglob("*.py")
        if p.stem not in ("__main__", "engines", "sharded", "parquet")
    )
    (tmp_path / "app_imports.py").write_text(
        "".join(f"import {m.removesuffix('.__init__')}\n" for m in modules)
    )
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    script = [sys.executable, "-c", NO_SCALE_IMPORTS, str(tmp_path / "recipe.json"), str(tmp_path / "d.zip")]
    done = subprocess.run(script, env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "0 []", done.stderr[-2000:]


def test_the_package_installs_the_auglab_command():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["auglab"] == "core.cli.main:main"  # what `python -m core` calls
    pins = dict(line.split("==") for line in project["optional-dependencies"]["scale"])
    import datasets
    import pyarrow

    assert pins == {
        "ray[data]": ray.__version__,
        "datasets": datasets.__version__,
        "pyarrow": pyarrow.__version__,
    }
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from core.cli.main import main; sys.exit(main(['--help']))"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    module = subprocess.run(
        [sys.executable, "-m", "core", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == module.returncode == 0
    assert done.stdout == module.stdout and "export" in done.stdout


def test_workers_regenerate_synthetic_samples_from_the_archive(tmp_path, monkeypatch):
    """An archive with a GAN's samples as --recipe: each worker process reads the checkpoint from the
    archive (it is nowhere else) and samples it again, byte for byte as the local engine."""
    from core.dataset.plan import plan
    from core.dataset.recipe import SyntheticSource
    from core.dataset.writer import export_images
    from core.generators.checkpoint import checkpoint_hash, save_checkpoint
    from core.generators.gan import GANConfig, GANTrainer
    from core.generators.pool import samples_from_checkpoint

    source = make_input_zip(tmp_path / "originals.zip", per_class=4)
    classes = sorted(["cat", "dog", "=formula"])
    trainer = GANTrainer(None, None, classes, GANConfig.dry_run(n_classes=3), device="cpu")
    weights = save_checkpoint(trainer.checkpoint())
    sha = checkpoint_hash(weights)
    pool = samples_from_checkpoint(weights, "gan.pt", "gan", 5, 2)
    recipe = recipe_for(
        source, synthetic_per_class=2, synthetic=(SyntheticSource(f"generators/{sha}.pt", sha, 5, 2),)
    )
    originals = load_originals("images", (str(source),), "text", "label", quiet)
    the_plan = plan(recipe, [o.label for o in originals], [s.label for s in pool])
    archive = tmp_path / "dataset.zip"
    export_images(the_plan, originals, pool, recipe, archive, extra_files={f"generators/{sha}.pt": weights})
    monkeypatch.chdir(tmp_path)  # generators/<sha>.pt is not here: only in the archive
    for engine in ("local", "processes"):
        args = ["export", "--recipe", str(archive), "--out", engine, "--format", "parquet", "--quiet"]
        assert main([*args, "--engine", engine, "--workers", "2", "--shard-rows", "8"]) == 0
    assert digests(tmp_path / "processes") == digests(tmp_path / "local")
    assert (tmp_path / "local" / "generators" / f"{sha}.pt").read_bytes() == weights
    rows = [r for f in sorted((tmp_path / "local" / "data").glob("*.parquet")) for r in pq_rows(f)]
    assert sum(r["source"] == "synthetic" for r in rows) == 6  # 2 per class
    assert {r["generator_checkpoint_sha256"] for r in rows if r["source"] == "synthetic"} == {sha}


def pq_rows(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=["source", "generator_checkpoint_sha256"]).to_pylist()
