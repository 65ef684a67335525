"""Parquet shards that Hugging Face ``datasets`` and Ray Data read unchanged, and the dataset card.

Each shard (``data/train-00000-of-00004.parquet``, see :mod:`core.dataset.shards`) holds, per example,
the manifest's columns:

- images: ``image`` (a struct of the PNG ``bytes`` and its ``path`` in the ImageFolder layout, which
  ``datasets`` reads as an ``Image`` feature), ``label``, ``split``, ``source``, ``parent_id``,
  ``variant``, ``params`` (JSON), ``seed``, ``generator_checkpoint_sha256``, ``sample_index``,
  ``origin`` and ``sha256`` (of the PNG);
- text: ``id``, ``text``, then the same columns from ``label`` on (``sha256`` of the UTF-8 text).

``label`` is the class's number in the sorted class names (null for an unlabelled example), and the
schema carries the names as a ``datasets.ClassLabel`` in the ``huggingface`` metadata key, where
``datasets`` looks for its features; Ray Data and pandas see the plain integers. The folder's
``README.md`` is a dataset card with the same features, the splits and their sizes in its YAML header.

pyarrow is imported inside the functions: the app and the zip export never need it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.data.split import label_order
from core.dataset.plan import Plan, PlannedItem
from core.dataset.shards import HF_SPLITS, Shard, ShardResult, tmp_path
from core.dataset.writer import MANIFEST_COLUMNS

COMPRESSION = "snappy"  # Parquet's usual codec; fixed so the bytes do not follow a default
ROW_GROUP_ROWS = {"images": 100, "text": 1000}  # what the Hub writes for image datasets; text rows are small
INT_COLUMNS = ("parent_id", "variant", "seed", "sample_index")
STRING_COLUMNS = ("split", "source", "params", "generator_checkpoint_sha256", "origin", "sha256")


def class_names(plan: Plan) -> list[str]:
    """The ClassLabel names: every labelled class of the plan, sorted (the label column's numbers)."""
    return [label for label in sorted(plan.folders, key=label_order) if label is not None]


def feature_dict(kind: str, names: Sequence[str]) -> dict[str, Any]:
    """The columns as ``datasets.Features.to_dict()`` writes them (what ``datasets`` reads back)."""
    string = {"dtype": "string", "_type": "Value"}
    int64 = {"dtype": "int64", "_type": "Value"}
    head: dict[str, Any] = (
        {"image": {"_type": "Image"}} if kind == "images" else {"id": string, "text": string}
    )
    columns = {**head, "label": {"names": list(names), "_type": "ClassLabel"}}
    for name in MANIFEST_COLUMNS[1:]:  # the manifest's, after its path (the image's path, or the id)
        if name != "label":
            columns[name] = int64 if name in INT_COLUMNS else string
    return columns


def arrow_schema(kind: str, names: Sequence[str]) -> Any:
    """The shards' ``pyarrow.Schema``, with the ``datasets`` features in its metadata."""
    import pyarrow as pa

    types = {"int64": pa.int64(), "string": pa.string()}
    fields = []
    for name, feature in feature_dict(kind, names).items():
        if feature["_type"] == "Image":
            kind_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
        elif feature["_type"] == "ClassLabel":
            kind_type = pa.int64()
        else:
            kind_type = types[feature["dtype"]]
        fields.append(pa.field(name, kind_type))
    meta = {"info": {"features": feature_dict(kind, names)}}
    return pa.schema(fields, metadata={"huggingface": json.dumps(meta)})


def write_shard(
    folder: Path,
    shard: Shard,
    kind: str,
    items: Sequence[PlannedItem],
    render: Callable[[PlannedItem], tuple[Any, dict[str, Any]]],
    names: Sequence[str],
    tick: Callable[[int], None] = lambda n: None,
    worker: str = "",
) -> ShardResult:
    """Render ``items`` and write them as one Parquet file, renamed to ``shard.name`` when complete.

    Args:
        folder: The export folder.
        shard: The shard (its name and rows).
        kind: "images" or "text".
        items: ``plan.items[shard.start:shard.stop]``.
        render: :func:`core.dataset.writer.image_renderer` or ``text_renderer`` of the plan.
        names: :func:`class_names` of the plan.
        tick: Called with the number of items written since the last call, once per row group.
        worker: Who writes it, for the result.

    Returns:
        The shard's rows, size and sha256.
    """
    import time

    import pyarrow as pa
    import pyarrow.parquet as pq

    start = time.perf_counter()
    schema = arrow_schema(kind, names)
    number = {name: i for i, name in enumerate(names)}
    final = folder / shard.name
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path(folder, Path(shard.name).name)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    stats = [f.name for f in schema if f.name not in ("image", "text", "params")]  # no min/max of bytes
    group = ROW_GROUP_ROWS[kind]
    try:
        with pq.ParquetWriter(
            tmp, schema, compression=COMPRESSION, write_statistics=stats, store_schema=True
        ) as writer:
            for first in range(0, len(items), group):
                columns: dict[str, list[Any]] = {f.name: [] for f in schema}
                for item in items[first : first + group]:
                    data, row = render(item)
                    if kind == "images":
                        columns["image"].append({"bytes": data, "path": row["path"]})
                    else:
                        columns["id"].append(row["path"])
                        columns["text"].append(data)
                    label = row.get("label")
                    columns["label"].append(None if label is None else number[label])
                    for name in INT_COLUMNS:
                        columns[name].append(row.get(name))
                    for name in STRING_COLUMNS:
                        columns[name].append(row.get(name))
                writer.write_table(pa.Table.from_pydict(columns, schema=schema), row_group_size=group)
                tick(min(group, len(items) - first))
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        size = tmp.stat().st_size
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return ShardResult(shard.name, len(items), size, digest, time.perf_counter() - start, worker)


# --------------------------------------------------------------------------------------------------
# The dataset card


def _yaml(value: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def dataset_card(
    kind: str, names: Sequence[str], split_rows: dict[str, int], split_bytes: dict[str, int], recipe_json: str
) -> str:
    """``README.md`` of a Parquet export: the Hub's YAML header (configs, features, splits; sizes are
    the Parquet files' bytes), then what the folder holds and how to read it."""
    lines = ["---", "configs:", "- config_name: default", "  data_files:"]
    for split, rows in split_rows.items():
        if rows:
            lines += [f"  - split: {HF_SPLITS[split]}", f"    path: data/{HF_SPLITS[split]}-*"]
    lines += ["dataset_info:", "  features:"]
    for name, feature in feature_dict(kind, names).items():
        lines.append(f"  - name: {name}")
        if feature["_type"] == "Image":
            lines.append("    dtype: image")
        elif feature["_type"] == "ClassLabel":
            lines += ["    dtype:", "      class_label:", "        names:"]
            lines += [f"          '{i}': {_yaml(label)}" for i, label in enumerate(names)]
        else:
            lines.append(f"    dtype: {feature['dtype']}")
    lines.append("  splits:")
    for split, rows in split_rows.items():
        if rows:
            name, size = HF_SPLITS[split], split_bytes.get(split, 0)
            lines += [f"  - name: {name}", f"    num_bytes: {size}", f"    num_examples: {rows}"]
    lines += [f"  download_size: {sum(split_bytes.values())}", f"  dataset_size: {sum(split_bytes.values())}"]
    lines.append("---")
    total = sum(split_rows.values())
    what = "images (PNG)" if kind == "images" else "text rows"
    counts = ", ".join(f"{HF_SPLITS[s]} {n:,}" for s, n in split_rows.items() if n)
    body = f"""
# AugLab export

{total:,} {what} blended by AugLab from originals, augmented variants and synthetic samples
({counts}). `recipe.json` is the recipe that made it: `python -m core export --recipe recipe.json`
writes it again, byte for byte. `label` is the class's number in `names` below (null: no label).

```python
import datasets
ds = datasets.load_dataset("parquet", data_dir="THIS_FOLDER")  # or datasets.load_dataset("THIS_FOLDER")
import ray.data
ds = ray.data.read_parquet("THIS_FOLDER")
```

Every row keeps where it came from: `source` (original, augmented, synthetic), `parent_id` and
`variant` (augmented: `(seed, parent_id, variant)` made it), `params` (the sampled parameters, JSON),
`generator_checkpoint_sha256` and `sample_index` (synthetic), `origin` and the `sha256` of the
example's bytes. `auglab-index.json` lists each shard with its sha256.

Classes: {", ".join(names) or "(none)"}

<details><summary>recipe.json</summary>

```json
{recipe_json}
```
</details>
"""
    return "\n".join(lines) + "\n" + body
