"""Who writes the shards: this process (``local``), this machine's cores (``processes``) or Ray Data
(``ray``), each running the same :func:`write_shard` on the same :class:`ShardJob` s.

A job names the recipe, the inputs as the worker should open them, the shard and the fingerprint of
the export (:func:`core.dataset.digest.export_digest`). A worker loads the originals, regenerates the
synthetic samples and plans once per process (:func:`context`, kept for the next shard), checks that
its fingerprint is the driver's, so a worker that reads other files fails instead of writing other
bytes, then renders its items and writes the shard. Nothing is sent to a worker but the job: the same
path from one core to a cluster.

Ray is imported and started only here, on demand: the app and the zip export never load it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.dataset.digest import export_digest
from core.dataset.plan import Plan, plan
from core.dataset.recipe import Recipe
from core.dataset.shards import Shard, ShardResult, worker_name
from core.errors import AugLabError, ConfigError

ENGINES = ("local", "processes", "ray")
# Worker processes start from a clean server process that has imported the writer once (fork is not
# safe from a driver that may hold threads: OpenCV's, torch's), else from scratch.
START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
PRELOAD = ("core.dataset.engines", "core.dataset.replay", "core.dataset.parquet", "core.dataset.folder")
RAY_DATA_HINT = "\nFailed to apply UDF transform"
TICK_S = 0.25  # how often a worker process reports the items it has written

OnDone = Callable[[Shard, ShardResult], None]
OnItems = Callable[[int], None]


@dataclass(frozen=True)
class ShardJob:
    """Everything a worker needs to write one shard, picklable and small.

    Attributes:
        recipe_json: The recipe as the user gave it (its fingerprint is part of the export's).
        inputs: The recipe's inputs as a worker opens them: built-in names, absolute paths.
        archive: The exported archive the recipe came from (its generator checkpoints), or None.
        digest: :func:`core.dataset.digest.export_digest` of the recipe, originals and pool, as the
            driver computed it.
        fmt: "parquet" or "imagefolder".
        folder: The export folder, absolute (on a cluster: a path every node sees).
        shard: The shard to write.
        checkpoints: The recipe's generator checkpoints as a worker opens them (absolute paths), one
            per synthetic source; empty: as the recipe names them.
    """

    recipe_json: str
    inputs: tuple[str, ...]
    archive: str | None
    digest: str
    fmt: str
    folder: str
    shard: Shard
    checkpoints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """A worker's view of the export: the recipe, originals, synthetic pool, plan and fingerprint."""

    recipe: Recipe
    originals: Sequence[Any]
    synthetic: Sequence[Any]
    plan: Plan
    digest: str


def build_context(
    recipe: Recipe, originals: Sequence[Any], synthetic: Sequence[Any], digest: str | None = None
) -> Context:
    """A context from data already loaded (the driver's, the page's): plans, and fingerprints unless
    ``digest`` is given."""
    the_plan = plan(recipe, [o.label for o in originals], [s.label for s in synthetic])
    if digest is None:
        digest = export_digest(recipe, originals, synthetic)
    return Context(recipe, originals, synthetic, the_plan, digest)


_cache: dict[tuple[Any, ...], Context] = {}
_cache_lock = threading.Lock()


def context(job: ShardJob) -> Context:
    """The job's context, loaded from the recipe's inputs once per process (the last one is kept).

    Raises:
        ConfigError: This worker's originals or pool differ from the driver's (another file at the
            same path, another node's copy).
    """
    from core.dataset.replay import load_originals, regenerate_synthetic

    key = (job.recipe_json, job.inputs, job.archive, job.checkpoints)
    with _cache_lock:
        found = _cache.get(key)
        if found is None:
            recipe = Recipe.from_json(job.recipe_json)
            sources = recipe.synthetic
            if job.checkpoints:
                sources = tuple(
                    dataclasses.replace(s, checkpoint=c)
                    for s, c in zip(sources, job.checkpoints, strict=True)
                )
            opened = dataclasses.replace(recipe, inputs=job.inputs, synthetic=sources)

            def quiet(line: str) -> None:
                pass  # the driver said it already

            originals = load_originals(
                recipe.kind, job.inputs, recipe.text_column, recipe.label_column, quiet
            )
            archive = Path(job.archive) if job.archive else None
            synthetic, _ = regenerate_synthetic(opened, quiet, archive)
            found = build_context(recipe, originals, synthetic)
            _cache.clear()
            _cache[key] = found
    if found.digest != job.digest:
        raise ConfigError(
            f"The worker {worker_name()} read other originals or generator checkpoints than the driver "
            f"from {', '.join(job.inputs)}; every worker must see the same files at the same paths."
        )
    return found


def write_shard(ctx: Context, fmt: str, folder: Path, shard: Shard, tick: OnItems) -> ShardResult:
    """Render the shard's items of ``ctx`` and write the shard (Parquet file or ImageFolder part)."""
    from core.dataset.writer import image_renderer, text_renderer

    make = image_renderer if ctx.recipe.kind == "images" else text_renderer
    render = make(ctx.plan, ctx.originals, ctx.synthetic, ctx.recipe)
    items = ctx.plan.items[shard.start : shard.stop]
    if fmt == "parquet":
        from core.dataset.parquet import class_names
        from core.dataset.parquet import write_shard as write_parquet

        names = class_names(ctx.plan)
        return write_parquet(folder, shard, ctx.recipe.kind, items, render, names, tick, worker_name())
    from core.dataset.folder import write_shard as write_folder

    return write_folder(folder, shard, items, render, tick, worker_name())


def run_job(job: ShardJob, tick: OnItems = lambda n: None) -> ShardResult:
    """What a worker does with a job: its context, then the shard."""
    return write_shard(context(job), job.fmt, Path(job.folder), job.shard, tick)


# --------------------------------------------------------------------------------------------------
# local


def run_local(ctx: Context, jobs: Sequence[ShardJob], on_done: OnDone, on_items: OnItems) -> None:
    """The shards one after the other in this process, with the driver's context (nothing reloaded)."""
    for job in jobs:
        on_done(job.shard, write_shard(ctx, job.fmt, Path(job.folder), job.shard, on_items))


# --------------------------------------------------------------------------------------------------
# processes


_queue: Any = None  # a worker process's queue of item counts to the driver


def _init_process(queue: Any) -> None:
    global _queue
    _queue = queue
    _one_thread()


def _one_thread() -> None:
    """One OpenCV thread per worker: the workers are the parallelism (the pixels do not change)."""
    import cv2

    cv2.setNumThreads(1)


def _process_job(job: ShardJob) -> ShardResult:
    pending = [0, time.monotonic()]

    def tick(n: int) -> None:
        pending[0] += n
        now = time.monotonic()
        if now - pending[1] >= TICK_S:
            _queue.put(pending[0])
            pending[:] = [0, now]

    result = run_job(job, tick)
    if pending[0]:
        _queue.put(pending[0])
    return result


def _drain(queue: Any, on_items: OnItems) -> None:
    with contextlib.suppress(Exception):
        while True:
            on_items(queue.get_nowait())


def run_processes(jobs: Sequence[ShardJob], workers: int, on_done: OnDone, on_items: OnItems) -> None:
    """The shards on ``workers`` processes of this machine, each loading the inputs itself (as a Ray
    worker does), started by :data:`START_METHOD`.

    Raises:
        ConfigError: A worker died (killed, out of memory): the finished shards are kept.
    """
    from concurrent.futures.process import BrokenProcessPool

    mp = multiprocessing.get_context(START_METHOD)
    if START_METHOD == "forkserver":
        mp.set_forkserver_preload(list(PRELOAD))
    queue = mp.Queue()
    by_future = {}
    try:
        with ProcessPoolExecutor(
            workers, mp_context=mp, initializer=_init_process, initargs=(queue,)
        ) as pool:
            by_future = {pool.submit(_process_job, job): job for job in jobs}
            pending = set(by_future)
            try:
                while pending:
                    done, pending = wait(pending, timeout=TICK_S, return_when=FIRST_COMPLETED)
                    _drain(queue, on_items)
                    for future in done:
                        on_done(by_future[future].shard, future.result())
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
    except BrokenProcessPool:
        raise ConfigError(
            "A worker process died (killed, or out of memory) while writing its shard; the shards it "
            "had finished are kept. Run the same command again to write the rest."
        ) from None
    finally:
        _drain(queue, on_items)
        queue.close()
        queue.join_thread()


# --------------------------------------------------------------------------------------------------
# ray


def start_ray(address: str | None, workers: int | None) -> tuple[bool, float]:
    """Connect to Ray: the cluster at ``address`` (or ``RAY_ADDRESS``), else a local Ray of
    ``workers`` CPUs; nothing when Ray is already initialised (a test, a notebook).

    Returns:
        Whether this call started Ray (then the caller shuts it down), and the seconds it took.

    Raises:
        ConfigError: Ray is not installed.
    """
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "--engine ray needs Ray Data: pip install 'auglab[scale]' (or ray[data]), then run again."
        ) from None
    if ray.is_initialized():
        return False, 0.0
    start = time.perf_counter()
    address = address or os.environ.get("RAY_ADDRESS") or None
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "error"}
    if address is None:
        options["num_cpus"] = workers or os.cpu_count()
        root = str(Path(__file__).resolve().parents[2])  # so that local workers import `core`
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        options["runtime_env"] = {"env_vars": {"PYTHONPATH": path}}
    ray.init(address=address, **options)
    return True, time.perf_counter() - start


def _warm(row: dict[str, Any]) -> dict[str, Any]:
    """A Ray Data task that imports what a shard task needs (the writer, pyarrow), so that the worker
    processes Ray keeps for this job, and Ray Data's own machinery, are ready before the shards."""
    import core.dataset.parquet
    import core.dataset.replay  # noqa: F401

    _one_thread()
    return {"pid": os.getpid()}


def _configure(data_context: Any) -> None:
    data_context.enable_progress_bars = False  # the CLI shows its own, per shard
    data_context.print_on_execution_start = False
    data_context.raise_original_map_exception = True
    data_context.op_resource_reservation_enabled = False  # one operator: every CPU is the shards'


def warm_ray(workers: int | None) -> float:
    """Run one small Ray Data map, ``workers`` tasks wide (default: the cluster's CPUs), as the shards
    will be run; the seconds it took (part of Ray's start-up)."""
    import ray
    import ray.data

    start = time.perf_counter()
    _configure(ray.data.DataContext.get_current())
    count = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    compute = ray.data.TaskPoolStrategy(size=count)
    items = [{"i": i} for i in range(count)]
    with _quiet_ray_data():
        ray.data.from_items(items, override_num_blocks=count).map(
            _warm, compute=compute, num_cpus=1
        ).materialize()
    return time.perf_counter() - start


class _ShardWriter:
    """A Ray Data actor writing whole shards: made once per worker, so each worker process loads the
    recipe's inputs and plans once (:func:`context` keeps them), however many shards it writes. (Plain
    tasks let Ray spread the shards over more processes than CPUs, each paying that load again.)"""

    def __init__(self, job_list: Sequence[ShardJob]) -> None:
        _one_thread()
        self.job_list = job_list

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        return dataclasses.asdict(run_job(self.job_list[row["job"]]))


def run_ray(jobs: Sequence[ShardJob], workers: int | None, on_done: OnDone) -> None:
    """The shards as one Ray Data map over the job list, one row per shard, on a pool of ``workers``
    actors (None: as many as the cluster has CPUs); results come back as shards finish.

    Raises:
        AugLabError: A worker's own error (its sentence), out of Ray's wrapping.
    """
    import ray
    import ray.data

    _configure(ray.data.DataContext.get_current())
    by_name = {job.shard.name: job for job in jobs}
    job_list = list(jobs)
    size = min(len(job_list), workers or max(1, int(ray.cluster_resources().get("CPU", 1))))
    items = [{"job": i} for i in range(len(job_list))]
    dataset = ray.data.from_items(items, override_num_blocks=max(1, len(items))).map(
        _ShardWriter,
        compute=ray.data.ActorPoolStrategy(size=max(1, size)),
        fn_constructor_args=(job_list,),
        num_cpus=1,
    )
    try:
        with _quiet_ray_data():
            for row in dataset.iter_rows():
                result = ShardResult(**row)
                on_done(by_name[result.name].shard, result)
    except Exception as exc:
        cause = _user_error(exc)
        if cause is None:
            raise
        text = str(cause)
        if (cut := text.find(RAY_DATA_HINT)) > 0:  # Ray Data appends its retry advice to the message
            cause.args = (text[:cut],)
        raise cause from None


def _user_error(exc: BaseException) -> AugLabError | None:
    """The AugLabError a worker raised, out of Ray's wrapping: Ray's errors hold it as ``cause`` (and
    may themselves be an instance of its class, with Ray's traceback in their text), or as
    ``__cause__``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        inner = getattr(current, "cause", None)
        if isinstance(inner, BaseException) and inner is not current:
            current = inner
        elif isinstance(current, AugLabError):
            return current
        else:
            current = current.__cause__
    return None


@contextlib.contextmanager
def _quiet_ray_data() -> Iterator[None]:
    """Ray Data's log lines off while AugLab reports progress and errors itself (it logs its whole
    configuration with a worker's error, which is raised on its own)."""
    import logging

    logger = logging.getLogger("ray.data")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
