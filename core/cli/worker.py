"""``python -m core worker --home H --job N``: run one job of the job table (the supervisor starts these).

The handlers by job kind are wired in here, the one place allowed to import both the workspace and
what jobs do (:mod:`core.workspace.worker` never imports the generators). SIGTERM stops the job as a
user's stop does: the model so far is checkpointed and the job ends "stopped".
"""

from __future__ import annotations

import argparse
import signal
import threading

# The training threads of a worker: one. On the 2-core machines AugLab is served from, the pool is
# cores - 1 = 1 worker, and torch would otherwise start one thread per core, taking the core kept for the
# Streamlit server and the browsers' previews (the issue's aim: sliders stay responsive while a job
# trains). With more cores there are more workers, each still on one core. The GAN and LSTM benchmarks
# in the README were measured with 1 torch thread as well.
TORCH_THREADS = 1


def handlers() -> dict:
    """Job kind -> handler (a function of a :class:`~core.workspace.worker.JobContext`)."""
    from core.dataset.export_job import run_export_job
    from core.experiment.job import run_experiment_job
    from core.generators import jobs as training

    return {
        "train-gan": training.train_gan,
        "train-lstm": training.train_lstm,
        "experiment": run_experiment_job,
        "export": run_export_job,
    }


def cmd_worker(args: argparse.Namespace) -> int:
    import torch

    from core.workspace.store import Limits, Store
    from core.workspace.worker import run_job

    torch.set_num_threads(TORCH_THREADS)
    terminate = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: terminate.set())
    store = Store(args.home, Limits.from_env())  # the supervisor passes its store's limits in the environment
    return run_job(store, args.job, handlers(), terminate)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``worker`` on ``python -m core``'s sub-parsers."""
    w = sub.add_parser("worker", help="run one queued job (started by the app's supervisor, not by hand)")
    w.add_argument("--home", required=True, help="the workspace folder (AUGLAB_HOME)")
    w.add_argument("--job", type=int, required=True, help="the job's id")
    w.set_defaults(func=cmd_worker)
