"""Widgets of the Text page: the dataset picker and the augmentation controls (keys ``txt.<field>``)."""

from __future__ import annotations

import streamlit as st

from core.augment import wordnet
from core.augment.text import (
    EDA_TABLE,
    OPERATION_NAMES,
    OPERATIONS,
    WORDNET_OPERATIONS,
    TextAugConfig,
    eda_preset,
)
from core.data.text_io import (
    TextDataset,
    csv_columns,
    label_count_figure,
    length_figure,
    load_csv,
    load_txt,
    paste_dataset,
)
from core.data.text_io import summarize_text as summarize
from core.data.texts import TEXT_SAMPLES
from core.errors import AugLabError, ConfigError
from ui.common import KEEP, TEXT_DATASET, init, read_fields, seed_input, set_fields

PREFIX = "txt"
SOURCE = "txt.source"
SAMPLE = "txt.sample"
PASTED = "txt.pasted"
UPLOAD = "txt.upload"
TEXT_COLUMN = "txt.text_column"
LABEL_COLUMN = "txt.label_column"
PRESET = "txt.preset"
SEED = "txt.seed"
SHOWN = "txt.shown"
SOURCES = ("Built-in sample", "Paste text", "Upload .txt or .csv")
NO_LABEL = "(none)"
NEGATIONS = ("no", "nor", "not", "never")
PASTE_EXAMPLE = (
    "The hotel room was spotless, and the staff couldn't have been friendlier.\n"
    "Our flight was delayed 3.5 hours with no explanation at all.\n"
    "I'd recommend the tasting menu: every course was a small surprise!"
)


def _key(name: str) -> str:
    return f"{PREFIX}.{name}"


@st.cache_resource(show_spinner="Loading the sample…")
def _sample(name: str) -> TextDataset:
    return TEXT_SAMPLES[name]()


def dataset_picker() -> TextDataset | None:
    """A built-in sample, pasted lines or an uploaded file; notices and problems shown, then kept."""
    left, right = st.columns([1, 4])
    source = left.radio("Text", SOURCES, key=SOURCE, persist_state=KEEP)
    dataset = None
    with right, _errors():
        if source == SOURCES[0]:
            name = right.selectbox("Sample", list(TEXT_SAMPLES), key=SAMPLE, persist_state=KEEP)
            dataset = _sample(name)
        elif source == SOURCES[1]:
            text = right.text_area(
                "One example per line", key=init(PASTED, PASTE_EXAMPLE), height=140, persist_state=KEEP
            )
            dataset = paste_dataset(text)
        else:
            dataset = _upload(right)
    if dataset is None:
        return st.session_state.get(TEXT_DATASET)
    for notice in dataset.notices:
        st.info(notice)
    for problem in dataset.problems[:3]:
        st.warning(f"**{problem.name}**: {problem.reason}", icon="⚠️")
    if len(dataset.problems) > 3:
        with st.expander(f"{len(dataset.problems) - 3} more problems"):
            st.dataframe(
                {
                    "where": [p.name for p in dataset.problems[3:]],
                    "reason": [p.reason for p in dataset.problems[3:]],
                },
                hide_index=True,
            )
    st.session_state[TEXT_DATASET] = dataset
    return dataset


class _errors:
    """Show a user error where it happened and carry on (the previous dataset stays)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if isinstance(exc, AugLabError):
            st.error(str(exc), icon="⚠️")
            return True
        return False


def _upload(where) -> TextDataset | None:
    file = where.file_uploader(
        "A .txt file (one example per line) or a .csv with a header row",
        type=["txt", "csv", "tsv"],
        key=UPLOAD,
    )
    if file is None:
        st.info("Upload a file, paste text, or pick a built-in sample.")
        return None
    data = file.getvalue()
    if not file.name.lower().endswith((".csv", ".tsv")):
        return load_txt(data, file.name)
    columns = csv_columns(data, file.name)
    c1, c2 = where.columns(2)
    guess = next((c for c in columns if c.lower() in ("text", "sentence", "review", "content")), columns[0])
    text_column = c1.selectbox(
        "Text column", columns, index=columns.index(guess), key=f"{TEXT_COLUMN}.{file.file_id}"
    )
    labels = [NO_LABEL, *[c for c in columns if c != text_column]]
    guess = next((c for c in labels if c.lower() in ("label", "class", "category", "sentiment")), NO_LABEL)
    label = c2.selectbox(
        "Label column", labels, index=labels.index(guess), key=f"{LABEL_COLUMN}.{file.file_id}"
    )
    return load_csv(data, file.name, text_column, None if label == NO_LABEL else label)


def dataset_summary(dataset: TextDataset) -> None:
    """Counts per label (bar chart) and length statistics (histogram of words per example)."""
    summary = summarize(dataset.examples)
    cols = st.columns(4)
    cols[0].metric("Examples", f"{summary.total:,}")
    cols[1].metric("Labels", len(dataset.labels) or "unlabelled")
    for col, name, stats in ((cols[2], "Words", summary.words), (cols[3], "Characters", summary.characters)):
        if stats is not None:
            col.metric(
                f"{name} per example",
                f"{stats.median:g} median",
                help=f"min {stats.minimum}, mean {stats.mean:.1f}, max {stats.maximum}",
            )
    left, right = st.columns(2)
    if dataset.labels:
        left.plotly_chart(label_count_figure(summary), width="stretch")
    right.plotly_chart(length_figure(dataset.examples), width="stretch")


def _apply_preset() -> None:
    choice = st.session_state.get(PRESET)
    if choice is not None:
        set_fields(PREFIX, eda_preset(choice, TextAugConfig(**read_fields(PREFIX, TextAugConfig))))
    st.session_state[PRESET] = None


def config_controls(wordnet_ok: bool) -> TextAugConfig:
    """Sidebar widgets for every TextAugConfig field; SR and RI drop out when WordNet is missing."""
    if _key("alpha_sr") not in st.session_state:
        set_fields(PREFIX, TextAugConfig())
    sb = st.sidebar
    sb.header("Augmentation")
    sizes = {
        size: f"EDA for about {size:,} examples (alpha {alpha:g}, {n} variants)"
        for size, alpha, n in EDA_TABLE
    }
    sb.selectbox(
        "Preset",
        list(sizes),
        index=None,
        format_func=sizes.get,
        placeholder="Apply EDA's settings…",
        key=PRESET,
        on_change=_apply_preset,
        help="Wei & Zou (2019), table 3: smaller training sets take gentler, more numerous variants.",
    )
    ops = sb.pills(
        "Operations",
        OPERATIONS,
        selection_mode="multi",
        key=_key("operations"),
        persist_state=KEEP,
        format_func=lambda op: f"{op}",
        help="; ".join(f"{k}: {v}" for k, v in OPERATION_NAMES.items()),
    )
    for name, label, help in (
        ("alpha_sr", "SR: share of words replaced (alpha_sr)", "n = max(1, round(alpha × words)) synonyms."),
        ("alpha_ri", "RI: share of words inserted (alpha_ri)", "n synonyms of random words, inserted."),
        ("alpha_rs", "RS: share of words swapped (alpha_rs)", "n swaps of two random words."),
        ("p_rd", "RD: probability of deleting a word (p_rd)", "Each word independently; never all of them."),
        ("punct_ratio", "PI: punctuation up to this share of words", "AEDA: 1 to ratio × words marks."),
    ):
        sb.slider(label, 0.0, 1.0, step=0.01, key=_key(name), persist_state=KEEP, help=help)
    sb.slider("Variants per example (n_aug)", 1, 64, key=_key("n_aug"), persist_state=KEEP)
    sb.toggle(
        "Combine operations in each variant",
        key=_key("combine"),
        persist_state=KEEP,
        help="Off: each variant applies one operation, in turn (EDA). On: every variant applies all.",
    )
    sb.toggle("Protect stop words from SR and RI", key=_key("protect_stop_words"), persist_state=KEEP)
    protected = sorted({*st.session_state[_key("protected_words")], *NEGATIONS})
    sb.multiselect(
        "Protected words",
        protected,
        key=_key("protected_words"),
        accept_new_options=True,
        persist_state=KEEP,
        placeholder="Type a word and press Enter",
        help="Never replaced, swapped or deleted. Negations are the usual ones: deleting "
        "'not' flips a sentence's meaning.",
    )
    values = read_fields(PREFIX, TextAugConfig)
    chosen = tuple(ops or ())
    if not wordnet_ok:
        chosen = tuple(op for op in chosen if op not in WORDNET_OPERATIONS)
    if not chosen:
        needs = "" if wordnet_ok else " (SR and RI need WordNet)"
        raise ConfigError(f"choose at least one operation under Operations in the sidebar{needs}.")
    values["operations"] = chosen
    return TextAugConfig(**values)


def seed_controls() -> tuple[int, int]:
    """The seed with its reroll button, and how many examples to preview."""
    st.sidebar.header("Sampling")
    seed = seed_input(SEED, "Variant v of example i depends only on (seed, i, v).")
    shown = st.sidebar.slider("Examples to preview", 1, 20, key=init(SHOWN, 4), persist_state=KEEP)
    return seed, int(shown)


def wordnet_status() -> bool:
    """Load WordNet (once per process); say how to get it when it is missing."""
    with st.spinner("Loading WordNet…"):
        ok = wordnet.available()
    if not ok:
        st.warning(wordnet.HOW_TO_GET, icon="⚠️")
    return ok
