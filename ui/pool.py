"""The synthetic pools (images from the GAN page, lines from the LSTM page), kept in the workspace.

A pool is kept as the generate calls that filled it, not as samples: each call (checkpoint sha256,
sampling seed, count, settings) is a :class:`~core.dataset.recipe.SyntheticSource`, listed under the
workspace key ``pool.images`` / ``pool.text``, and its checkpoint is kept as a workspace file (an
artifact of kind ``pool.checkpoint``). Samples are a pure function of the call
(:func:`core.generators.pool.samples_from_checkpoint`, the one the export's replay uses), so a new
session — a reload, another tab, the server restarted — regenerates them the first time a page needs
them, byte for byte, and a pool of thousands of images costs the workspace a few hundred bytes plus
the checkpoints. Each session keeps the samples of every call it has seen, keyed by the call, so a call
another tab adds is sampled once, and a pool cleared in one tab is cleared in all.
"""

from __future__ import annotations

import json

import streamlit as st

from core.dataset.recipe import SyntheticSource
from core.errors import AugLabError
from core.generators.pool import samples_from_checkpoint
from core.workspace.store import WorkspaceError
from ui import workspace
from ui.common import literal

KINDS = {"images": "gan", "text": "lstm"}  # pool -> the generator kind whose checkpoints fill it
CHECKPOINT = "pool.checkpoint"  # artifact kind: a checkpoint some pool call samples from
SAMPLES = "pool.samples"  # session: {call as JSON: its samples}


def _key(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown pool: {kind}")
    return f"pool.{kind}"


def calls(kind: str) -> list[SyntheticSource]:
    """The generate calls that filled the pool ``kind`` ("images" or "text"), oldest first."""
    stored = workspace.store().get(workspace.workspace_id(), _key(kind), [])
    return [SyntheticSource.from_dict(call) for call in stored]


def _token(call: SyntheticSource) -> str:
    return json.dumps(call.to_dict(), sort_keys=True)


def _checkpoint_name(sha256: str) -> str:
    for artifact in workspace.store().artifacts(workspace.workspace_id(), CHECKPOINT):
        if artifact["sha256"] == sha256:
            return artifact["name"]
    return f"checkpoint {sha256[:12]}"


def checkpoint_bytes(kind: str) -> dict[str, bytes]:
    """sha256 -> bytes of the checkpoints the pool ``kind`` was sampled from (for the export to embed)."""
    db, ws = workspace.store(), workspace.workspace_id()
    found = {}
    for call in calls(kind):
        if call.sha256 not in found:
            found[call.sha256] = db.read(ws, call.sha256)
    return found


def items(kind: str) -> list:
    """The pool's samples (SyntheticImage or SyntheticText), in the order they were generated.

    Calls this session has not sampled yet are sampled now, from the workspace's checkpoints, behind a
    spinner. A call whose checkpoint is gone or unreadable is left out with a message naming it; the
    rest of the pool stays.
    """
    held: dict[str, list] = st.session_state.setdefault(SAMPLES, {})
    todo = [call for call in calls(kind) if _token(call) not in held]
    if todo:
        db, ws = workspace.store(), workspace.workspace_id()
        with st.spinner(f"Regenerating the synthetic pool from {len(todo)} generate call(s)…"):
            for call in todo:
                name = _checkpoint_name(call.sha256)
                try:
                    data = db.read(ws, call.sha256)
                    held[_token(call)] = samples_from_checkpoint(
                        data, name, KINDS[kind], call.seed, call.n, call.settings
                    )
                except (AugLabError, WorkspaceError) as exc:
                    st.error(
                        f"{literal(name)}: its {call.n:,} pool samples could not be made again "
                        f"({literal(exc)}). Clear the pool and generate again.",
                        icon="⚠️",
                    )
                    held[_token(call)] = []
    return [sample for call in calls(kind) for sample in held.get(_token(call), [])]


def add(kind: str, sha256: str, name: str, seed: int, n: int, settings: dict, new: list) -> bool:
    """Record a generate call (its samples ``new`` already made) in the workspace's pool ``kind``.

    The checkpoint (a workspace file: a job's or an uploaded one) gets a pool artifact too, so it stays
    while the pool names it. When the workspace no longer has it, says so and adds nothing.
    """
    db, ws = workspace.store(), workspace.workspace_id()
    try:
        db.read_check(ws, sha256)
    except WorkspaceError as exc:
        st.error(f"{literal(name)}: {literal(exc)} The samples were not added to the pool.", icon="⚠️")
        return False
    if not any(a["sha256"] == sha256 for a in db.artifacts(ws, CHECKPOINT)):
        db.add_artifact(ws, CHECKPOINT, name, sha256, {"kind": KINDS[kind]})
    call = SyntheticSource(f"generators/{sha256}.pt", sha256, seed, n, dict(settings))
    st.session_state.setdefault(SAMPLES, {})[_token(call)] = list(new)
    db.set(ws, _key(kind), [*(c.to_dict() for c in calls(kind)), call.to_dict()])
    return True


def clear(kind: str) -> None:
    """Empty the pool ``kind`` in the workspace (every tab); checkpoints no other pool uses go."""
    db, ws = workspace.store(), workspace.workspace_id()
    db.unset(ws, _key(kind))
    for artifact in db.artifacts(ws, CHECKPOINT):
        if artifact["meta"].get("kind") == KINDS[kind]:
            db.remove_artifact(ws, artifact["id"])


def clear_button(kind: str) -> None:
    """A button that empties the pool ``kind``."""
    if st.button("Clear the pool", key=f"pool.{kind}.clear"):
        clear(kind)
        st.rerun()
