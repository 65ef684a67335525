"""Widgets of the LSTM page: data choice, model settings and sampling (keys ``lstm.*``)."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from core.data.sources import display_names, load_builtin_text
from core.data.text_io import TextDataset
from core.data.texts import PYDOC_TOPICS
from core.errors import AugLabError
from core.generators.checkpoint import load_checkpoint
from core.generators.lstm import LSTMConfig, LSTMTrainer, build_corpus, suggested_conditional
from core.generators.pool import text_samples
from core.workspace.jobs import Job
from ui import pool, text_controls
from ui.common import KEEP, init
from ui.training import Model, signature


@st.cache_resource(show_spinner="Loading the sample…")
def _sample(name: str) -> TextDataset:
    return load_builtin_text(name)


def data_choice() -> TextDataset:
    """The Text page's dataset, or a built-in sample."""
    loaded = text_controls.loaded()
    options = display_names("text")
    if loaded is not None and loaded.name not in options:
        options.insert(0, loaded.name)
    name = st.selectbox(
        "Train on",
        options,
        key=init("lstm.data", PYDOC_TOPICS),
        persist_state=KEEP,
        help="The text loaded on the Text page, or a built-in sample.",
    )
    dataset = loaded if loaded is not None and name == loaded.name else _sample(name)
    chars = sum(len(e.text) for e in dataset.examples)
    labels = f"{len(dataset.labels)} labels" if dataset.labels else "unlabelled"
    st.caption(f"{len(dataset.examples):,} lines, {chars:,} characters, {labels}.")
    return dataset


def lstm_config(dataset: TextDataset) -> LSTMConfig:
    """Sidebar widgets for the model and its training."""
    d = LSTMConfig()
    sb = st.sidebar
    sb.header("Model")
    level = sb.segmented_control(
        "Tokens",
        ["char", "word"],
        key=init("lstm.level", d.level),
        persist_state=KEEP,
        format_func={"char": "characters", "word": "words"}.get,
        help="Characters suit small corpora; words need a larger one.",
    )
    hidden = sb.select_slider(
        "Hidden size", [64, 128, 256, 384, 512], key=init("lstm.hidden", d.hidden_size), persist_state=KEEP
    )
    layers = sb.select_slider("Layers", [1, 2, 3], key=init("lstm.layers", d.num_layers), persist_state=KEEP)
    conditional = sb.toggle(
        "Condition on the label",
        value=suggested_conditional(dataset.examples),
        disabled=not dataset.labels,
        key=f"lstm.conditional.{dataset.name}",
        help="Each line starts with its label token, so generated lines carry labels.",
    )
    sb.header("Optimiser")
    seq = sb.select_slider(
        "Sequence length", [32, 64, 128, 256], key=init("lstm.seq", d.seq_len), persist_state=KEEP
    )
    batch = sb.select_slider(
        "Batch size", [8, 16, 32, 64, 128], key=init("lstm.batch", d.batch_size), persist_state=KEEP
    )
    lr = sb.select_slider(
        "Learning rate",
        sorted({1e-3, 2e-3, 3e-3, 5e-3, d.lr}),
        key=init("lstm.lr", d.lr),
        persist_state=KEEP,
        format_func=lambda v: f"{v:g}",
    )
    seed = sb.number_input("Seed", 0, 2**31 - 1, step=1, key=init("lstm.seed", 0), persist_state=KEEP)
    values = d.to_dict()
    values.update(
        level=level,
        hidden_size=int(hidden),
        num_layers=int(layers),
        conditional=bool(conditional and dataset.labels),
        seq_len=int(seq),
        batch_size=int(batch),
        lr=float(lr),
        seed=int(seed),
    )
    return LSTMConfig.from_dict(values)


def data_key(dataset: TextDataset) -> str:
    """What the page trains on, as a string (the cache key of models paired with it)."""
    try:
        return json.dumps(text_controls.job_data(dataset), sort_keys=True)
    except AugLabError:
        return json.dumps([dataset.name, len(dataset.examples)])


def load_model(
    data: bytes, name: str, dataset: TextDataset
) -> tuple[LSTMTrainer, str | None, dict[str, Any]]:
    """A checkpoint's trainer, paired with ``dataset`` when its vocabulary fits (to resume on it).

    Returns:
        The trainer, the signature it resumes on (None: sampling only) and ``{"labels": [...]}``.

    Raises:
        CheckpointError: The file cannot be used (the message names it).
    """
    payload = load_checkpoint(data, name, "lstm")
    sig = None
    try:
        config = LSTMConfig.from_dict(payload["config"])
        trainer = LSTMTrainer.from_checkpoint(payload, build_corpus(dataset.examples, config), name=name)
        sig = signature(config.to_dict(), text_controls.job_data(dataset))
    except AugLabError:  # not this text's model: sampling only (a broken file fails again, by name)
        trainer = LSTMTrainer.from_checkpoint(payload, name=name)
    return trainer, sig, {"labels": list(trainer.labels)}


def _known(share: float | None) -> str:
    return "no words" if share is None else f"{share:.0%}"


def show_preview(job: Job, png: bytes | None = None) -> None:
    """The job's latest preview: a few samples from a fixed stream, and how many of their words are real."""
    p = job.progress
    lines = p.get("preview_text") or []
    if lines:
        st.markdown("**Samples from a fixed random stream**")
    for line in lines:
        st.code(line, language=None)
    if lines:
        st.caption(
            f"Words of these lines found in the training text: {_known(p.get('preview_known_words'))} "
            "(real text scores near 100%, gibberish far less)."
        )
    val, unigram = p.get("val_bpc"), p.get("unigram_bpc")
    if val is not None and unigram is not None:
        st.caption(
            f"Held-out text: {val:.2f} bits per character, against {unigram:.2f} for the unigram baseline "
            "(letter frequencies alone); lower is better."
        )


def baselines(job: Job) -> dict[str, float] | None:
    """The unigram model's bits per character: the line a model must get below."""
    unigram = job.progress.get("unigram_bpc")
    return {"unigram": unigram} if unigram is not None else None


def sampling_controls(model: Model) -> None:
    """Prompt, temperature, top-k, length, count and seed; generated lines go to the pool."""
    trainer = model.trainer
    labels = model.info.get("labels") or []
    st.subheader("Sample")
    c1, c2, c3 = st.columns(3)
    prompt = c1.text_input("Prompt", key=init("lstm.prompt", ""), persist_state=KEEP)
    temperature = c2.slider(
        "Temperature", 0.1, 2.0, step=0.05, key=init("lstm.temp", 0.8), persist_state=KEEP
    )
    top_k = c3.number_input(
        "Top-k (0 = all)", 0, 10_000, step=1, key=init("lstm.top_k", 0), persist_state=KEEP
    )
    c1, c2, c3, c4 = st.columns(4)
    max_len = c1.number_input(
        "Maximum length", 10, 2000, step=10, key=init("lstm.max_len", 200), persist_state=KEEP
    )
    n = c2.number_input("Lines", 1, 1000, step=1, key=init("lstm.n", 10), persist_state=KEEP)
    seed = c3.number_input(
        "Sampling seed", 0, 2**31 - 1, step=1, key=init("lstm.sample_seed", 0), persist_state=KEEP
    )
    label = c4.selectbox("Label", labels, key="lstm.label") if labels else None
    if not st.button("Generate into the pool", type="primary", key="lstm.generate"):
        return
    settings = {
        "prompt": prompt,
        "temperature": float(temperature),
        "top_k": int(top_k) or None,
        "max_len": int(max_len),
        "label": label,
    }
    with st.spinner("Sampling…"):
        new = text_samples(trainer, model.sha256, int(seed), int(n), settings)
    if not pool.add("text", model.sha256, model.name, int(seed), int(n), settings, new):
        return
    texts = [item.text for item in new]
    st.success(f"Added {len(new)} lines to the synthetic pool.")
    quality_caption(trainer, texts)
    for item in new:
        st.code(item.text, language=None)


def quality_caption(trainer: Any, texts: list[str]) -> None:
    """Novelty beside what keeps it honest: real words and held-out bits per character."""
    novelty, known = trainer.novelty(texts), trainer.known_word_share(texts)
    val, unigram = trainer.last_val_bpc, trainer.unigram_bpc
    held = (
        f"held-out text {val:.2f} bits per character against the unigram baseline's {unigram:.2f}"
        if val is not None and unigram == unigram
        else "no held-out figure yet"
    )
    st.markdown(
        f"**Novelty {novelty:.0%}**: the share of lines that are not lines of the training text. "
        f"**Known words {_known(known)}**: the share of their words found in the training text; "
        "gibberish is always novel, so novelty means something only when most words are real. "
        f"The model: {held}."
    )
