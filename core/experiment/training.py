"""One fit: train a model on an arm's training set for a fixed number of steps, then predict the test set.

Every torch fit runs the same loop (:func:`fit_torch`): shuffled passes over the training set with a
permutation drawn from the batch-order generator, one Adam step per batch, until ``steps`` steps are
done, the time budget is spent (the fit is then marked ``cut_short``) or ``should_stop`` says stop
(checked every :data:`STOP_CHECK_STEPS` steps and at each pass's end; the fit is abandoned by raising
:class:`~core.experiment.data.Stopped`). Nothing here changes torch's global state: not its random
generator and not its thread count (the caller's setting is used as it is). The scikit-learn fit caps
BLAS at that same thread count while it runs (see :func:`fit_bag`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from core.experiment.data import Stopped
from core.experiment.models import (
    SETTINGS,
    bag_model,
    build_torch_model,
    cross_entropy,
    hashed_tokens,
    pack,
)

STOP_CHECK_STEPS = 20  # steps between two calls of should_stop inside a fit
PREDICT_BATCH = 1024  # test examples per forward pass


@dataclass(frozen=True)
class FitOutcome:
    """What one fit did.

    Attributes:
        predictions: Predicted class index per test example.
        steps: Optimiser steps (torch) or solver iterations (bag) done.
        epochs: Passes over the training set (steps x batch / examples; the bag model: iterations).
        cut_short: The time budget ended training before ``steps``.
        fit_s: Seconds spent training and predicting.
    """

    predictions: np.ndarray
    steps: int
    epochs: float
    cut_short: bool
    fit_s: float


@dataclass(frozen=True)
class Streams:
    """The random streams of one fit: initial weights, batch order, dropout masks."""

    init: torch.Generator
    batches: torch.Generator
    dropout: torch.Generator


def image_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 ``N x S x S x C`` -> float32 ``N x C x S x S`` in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div_(255.0).contiguous()


class _TextInputs:
    """Texts as hashed token arrays, indexable by a batch of positions (the embedding bag's input).

    ``cache`` maps a text to its int64 token array, shared by the fits of a repeat (an original and
    its variants recur in every arm and size); arrays rather than lists of ints, a fifth of the memory.
    """

    def __init__(self, texts: Sequence[str], cache: dict[str, np.ndarray]) -> None:
        self.rows = []
        for text in texts:
            if text not in cache:
                cache[text] = np.asarray(hashed_tokens(text), dtype=np.int64)
            self.rows.append(cache[text])

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return pack([self.rows[i] for i in index.tolist()])


def initial_model(
    name: str, classes: int, streams: Streams, size: int = 0, channels: int = 0
) -> torch.nn.Module:
    """The model a torch fit starts from: :func:`~core.experiment.models.build_torch_model` with the
    fit's init stream (the same for every arm of a repeat)."""
    return build_torch_model(name, classes, streams.init, size, channels)


def fit_torch(
    model: torch.nn.Module,
    name: str,
    train_x: torch.Tensor | _TextInputs,
    train_y: np.ndarray,
    test_x: torch.Tensor | _TextInputs,
    steps: int,
    batch_size: int,
    streams: Streams,
    budget_s: float,
    should_stop: Callable[[], bool] | None = None,
) -> FitOutcome:
    """Train ``model`` in place for ``steps`` Adam steps (see the module docstring); predict ``test_x``.

    Raises:
        Stopped: ``should_stop`` answered True; the fit is abandoned.
    """
    start = time.perf_counter()
    settings = SETTINGS[name]
    dense = [p for n, p in model.named_parameters() if not n.startswith("embedding.")]
    optimisers: list[torch.optim.Optimizer] = [
        torch.optim.Adam(dense, lr=settings.lr, weight_decay=settings.weight_decay)
    ]
    if settings.sparse_lr is not None:
        optimisers.append(torch.optim.SparseAdam(list(model.embedding.parameters()), lr=settings.sparse_lr))
    targets = torch.from_numpy(np.asarray(train_y, dtype=np.int64))
    n = len(targets)
    done, cut_short = 0, False
    model.train()
    while done < steps and not cut_short:
        order = torch.randperm(n, generator=streams.batches)
        for first in range(0, n, batch_size):
            index = order[first : first + batch_size]
            loss = cross_entropy(model(train_x[index], streams.dropout), targets[index])
            for optimiser in optimisers:
                optimiser.zero_grad(set_to_none=True)
            loss.backward()
            for optimiser in optimisers:
                optimiser.step()
            done += 1
            if done >= steps:
                break
            if time.perf_counter() - start > budget_s:
                cut_short = True
                break
            if should_stop is not None and done % STOP_CHECK_STEPS == 0 and should_stop():
                raise Stopped
        if should_stop is not None and should_stop():
            raise Stopped
    model.eval()
    with torch.no_grad():
        outputs = []
        for first in range(0, len(test_x), PREDICT_BATCH):
            index = torch.arange(first, min(first + PREDICT_BATCH, len(test_x)))
            outputs.append(model(test_x[index]).argmax(1))
        predictions = torch.cat(outputs).numpy() if outputs else np.empty(0, np.int64)
    return FitOutcome(
        predictions, done, done * batch_size / max(n, 1), cut_short, time.perf_counter() - start
    )


def fit_bag(
    train_texts: Sequence[str], train_y: np.ndarray, test_texts: Sequence[str], originals: int
) -> FitOutcome:
    """Fit the scikit-learn ``bag`` model and predict ``test_texts`` (deterministic: no random state).

    Every training example weighs ``originals / len(train_texts)``, so the data term of the loss has
    the same total weight in every arm of a size, as the torch models' equal step counts give them the
    same compute: scikit-learn sums the loss over examples, and an arm with 10 times the examples
    would otherwise be regularised 10 times less, a gain that has nothing to do with its content.
    """
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    model = bag_model()
    weights = np.full(len(train_texts), originals / max(len(train_texts), 1))
    # BLAS gets the caller's torch thread count for the fit (1 in a worker process), restored after:
    # OpenBLAS threads spin-wait when another process holds a core, which made a fit 9x slower.
    with warnings.catch_warnings(), threadpool_limits(torch.get_num_threads(), user_api="blas"):
        # Not converging within BAG_MAX_ITER is recorded as cut_short instead of printed.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(list(train_texts), np.asarray(train_y), logisticregression__sample_weight=weights)
    iterations = int(np.max(model[-1].n_iter_))
    predictions = model.predict(list(test_texts)).astype(np.int64)
    cut_short = iterations >= model[-1].max_iter
    return FitOutcome(predictions, iterations, float(iterations), cut_short, time.perf_counter() - start)


def torch_inputs(kind: str, inputs: np.ndarray | list[str], cache: dict[str, np.ndarray]):
    """What a torch model reads: an image tensor, or texts as hashed token lists."""
    return image_tensor(inputs) if kind == "images" else _TextInputs(inputs, cache)
