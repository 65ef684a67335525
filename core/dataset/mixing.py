"""MixUp and CutMix at export: an augmented train image blended with, or patched by, another train image.

A recipe with ``mixing`` on mixes each augmented train variant with probability ``mixing_p``. Per item
everything is a pure function of ``(recipe seed, parent, variant)`` and the sorted list of the plan's
train originals (stream ``(seed, "mix", parent, variant)``, :mod:`core.seeding`), so any writer, or any
shard of one, can make any item alone:

1. five uniforms: whether to mix, MixUp or CutMix (``mixing="both"``: one or the other with
   probability 1/2, as torchvision's ``RandomChoice([CutMix, MixUp])``), the partner (uniform over the
   other train originals), the CutMix box's centre (x, y); then ``lambda ~ Beta(alpha, alpha)``;
2. the partner image is the partner original's own variant with the same variant number,
   ``augment(partner, config, seed, partner, variant)``, resized to the item's size (OpenCV area or
   linear) and given the item's channels when they differ;
3. MixUp: ``x = rint(lambda a + (1 - lambda) b)``. CutMix: the partner's pixels fill a box centred at the
   drawn point with sides ``sqrt(1 - lambda)`` of the image's, clipped to the image (torchvision's
   rule); ``lambda`` becomes the share of the item's own pixels left, exactly as torchvision adjusts it.

Labels: the soft label is ``{item's label: lambda, partner's label: 1 - lambda}`` (one entry when both
agree). The image goes into the folder of its majority label (the item's own on a tie), decided in the
plan from the CutMix box in fractions of the image; the manifest's ``params`` column records, under
``"mix"``, the kind, the partner's index and variant, ``lambda`` of the pixels written, the box and the
soft label. Readers of class folders (torchvision's ``ImageFolder``, Keras'
``image_dataset_from_directory``) see only the majority label; :func:`read_soft_labels` reads the soft
labels back from the archive.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from core.data.labels import UNLABELLED
from core.dataset.recipe import MIXES
from core.seeding import numpy_rng

Label = str | None
__all__ = ["MIXES", "MixSpec", "assign_mixes", "augmented_item", "mix_images", "plan_mix", "read_soft_labels"]


@dataclass(frozen=True)
class MixSpec:
    """How one augmented item is mixed, as planned (no pixels).

    Attributes:
        kind: ``"mixup"`` or ``"cutmix"``.
        partner: Index of the partner original (a train original other than the item's parent).
        lam: The item's own share: MixUp's lambda, or CutMix's after clipping the box (in fractions).
        box: CutMix: ``(x0, y0, x1, y1)`` as fractions of the width and height; () for MixUp.
        label: The item's own label.
        partner_label: The partner's label.
    """

    kind: str
    partner: int
    lam: float
    box: tuple[float, ...]
    label: Label
    partner_label: Label

    @property
    def majority(self) -> Label:
        """The label with the larger share (the item's own on a tie): the item's class folder."""
        return self.label if self.lam >= 0.5 else self.partner_label


def plan_mix(
    seed: int,
    mixing: str,
    p: float,
    alpha: float,
    parent: int,
    variant: int,
    train: Sequence[int],
    labels: Sequence[Label],
) -> MixSpec | None:
    """The mix of augmented item ``(parent, variant)``, or None when it is not mixed.

    Args:
        seed: The recipe's seed.
        mixing: One of :data:`MIXES`.
        p: The chance of mixing an item.
        alpha: Beta(alpha, alpha) draws lambda.
        parent, variant: The item.
        train: The plan's train originals, sorted.
        labels: The label of every original.
    """
    if mixing == "none" or len(train) < 2:
        return None
    rng = numpy_rng(seed, "mix", parent, variant)
    u_apply, u_kind, u_partner, cx, cy = rng.random(5).tolist()
    lam = float(rng.beta(alpha, alpha))
    if u_apply >= p:
        return None
    kind = mixing if mixing != "both" else ("cutmix" if u_kind < 0.5 else "mixup")
    at = bisect.bisect_left(train, parent)
    k = min(len(train) - 2, int(u_partner * (len(train) - 1)))
    partner = train[k + 1] if at < len(train) and train[at] == parent and k >= at else train[k]
    box: tuple[float, ...] = ()
    if kind == "cutmix":
        r = 0.5 * math.sqrt(1.0 - lam)
        box = (max(0.0, cx - r), max(0.0, cy - r), min(1.0, cx + r), min(1.0, cy + r))
        lam = 1.0 - (box[2] - box[0]) * (box[3] - box[1])
    return MixSpec(kind, partner, lam, box, labels[parent], labels[partner])


def assign_mixes(
    seed: int,
    mixing: str,
    p: float,
    alpha: float,
    augmented: dict[Label, list[tuple[int, int]]],
    labels: Sequence[Label],
    train: Sequence[int],
) -> dict[tuple[int, int], MixSpec]:
    """Plan the mixes of the augmented train items, moving each mixed one to its majority label's list.

    Args:
        seed, mixing, p, alpha: The recipe's settings.
        augmented: Label -> (parent, variant) pairs; changed in place.
        labels: The label of every original.
        train: The train originals (any order).

    Returns:
        ``(parent, variant) -> MixSpec`` for every mixed item.
    """
    if mixing == "none":
        return {}
    order = sorted(train)
    mixes: dict[tuple[int, int], MixSpec] = {}
    moved: dict[Label, list[tuple[int, int]]] = {}
    for label in list(augmented):
        kept = []
        for parent, variant in augmented[label]:
            spec = plan_mix(seed, mixing, p, alpha, parent, variant, order, labels)
            if spec is None:
                kept.append((parent, variant))
                continue
            mixes[(parent, variant)] = spec
            if spec.majority == label:
                kept.append((parent, variant))
            else:
                moved.setdefault(spec.majority, []).append((parent, variant))
        augmented[label] = kept
    for label, pairs in moved.items():
        augmented.setdefault(label, []).extend(pairs)
    return mixes


def _class(label: Label) -> str:
    return UNLABELLED if label is None else label


def _like(partner: np.ndarray, item: np.ndarray) -> np.ndarray:
    """The partner image with the item's size and channels."""
    height, width = item.shape[:2]
    if partner.shape[:2] != (height, width):
        shrink = partner.shape[0] > height and partner.shape[1] > width
        flag = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        partner = cv2.resize(partner, (width, height), interpolation=flag)
    colours = 1 if item.ndim == 2 else item.shape[2]
    have = 1 if partner.ndim == 2 else partner.shape[2]
    if have != colours:
        rgb = partner if have >= 3 else np.repeat(partner.reshape(height, width, 1), 3, axis=2)
        rgb = rgb[..., :3]
        if colours == 1:
            partner = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
        elif colours == 3:
            partner = np.ascontiguousarray(rgb)
        else:
            partner = np.dstack([rgb, np.full((height, width), 255, np.uint8)])
    return partner.reshape(item.shape)


def mix_images(item: np.ndarray, partner: np.ndarray, spec: MixSpec) -> tuple[np.ndarray, float, list[int]]:
    """Mix two images of the same shape as ``spec`` says.

    Returns:
        The mixed image, the item's share of it (lambda of the pixels), and the CutMix box in pixels
        ``[x0, y0, x1, y1]`` (empty for MixUp).
    """
    if spec.kind == "mixup":
        out = cv2.addWeighted(item, spec.lam, partner, 1.0 - spec.lam, 0.0)
        return out.reshape(item.shape), spec.lam, []
    height, width = item.shape[:2]
    x0, y0, x1, y1 = (
        round(spec.box[0] * width),
        round(spec.box[1] * height),
        round(spec.box[2] * width),
        round(spec.box[3] * height),
    )
    out = item.copy()
    out[y0:y1, x0:x1] = partner[y0:y1, x0:x1]
    return out, 1.0 - (x1 - x0) * (y1 - y0) / (width * height), [x0, y0, x1, y1]


def augmented_item(
    item: Any, original: np.ndarray, get_array: Callable[[int], np.ndarray], config: Any, seed: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """An augmented item of a plan, mixed when the plan says so: its image and its manifest ``params``.

    Args:
        item: A :class:`core.dataset.plan.PlannedItem` of source ``"augmented"``.
        original: The item's original image.
        get_array: ``index -> uint8 array`` of any original (the partner's).
        config: The recipe's ``ImageAugConfig``.
        seed: The recipe's seed.

    Returns:
        The image and the variant's parameters (``ImageParams.to_dict()``), with ``"mix"`` added for a
        mixed item.
    """
    from core.augment.image import augment

    image, params = augment(original, config, seed, item.parent, item.variant)
    record = params.to_dict()
    spec: MixSpec | None = getattr(item, "mix", None)
    if spec is None:
        return image, record
    other, _ = augment(np.asarray(get_array(spec.partner)), config, seed, spec.partner, item.variant)
    mixed, lam, box = mix_images(image, _like(other, image), spec)
    soft: dict[str, float] = {}
    for label, share in ((spec.label, lam), (spec.partner_label, 1.0 - lam)):
        soft[_class(label)] = round(soft.get(_class(label), 0.0) + share, 4)
    record["mix"] = {
        "kind": spec.kind,
        "partner_id": spec.partner,
        "partner_variant": item.variant,
        "lam": round(lam, 4),
        "box": box,
        "soft_label": soft,
    }
    return mixed, record


def read_soft_labels(archive: Any, name: str = "the archive") -> dict[str, dict[str, float]]:
    """The soft label of every image of an exported archive, by its path in the archive.

    A mixed image has its two classes and their shares (from the manifest's ``params`` -> ``mix``); any
    other image has its own label with weight 1. ``UNLABELLED`` stands for no label.

    Args:
        archive: The archive (a path, bytes or a binary file).
        name: How to name it in messages.

    Raises:
        InputError: The archive or its manifest cannot be read.
    """
    from core.dataset.reader import MANIFEST_ENTRY, open_archive, read_csv_member

    with open_archive(archive, name) as zf:
        rows = read_csv_member(zf, name, MANIFEST_ENTRY)
    out: dict[str, dict[str, float]] = {}
    for row in rows:
        params = json.loads(row["params"] or "{}")
        mix = params.get("mix") if isinstance(params, dict) else None
        out[row["path"]] = dict(mix["soft_label"]) if mix else {row["label"] or UNLABELLED: 1.0}
    return out
