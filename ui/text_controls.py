"""Widgets of the Text page: the dataset picker and the augmentation controls (keys ``txt.<field>``)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

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
from core.data.sources import display_names, load_builtin_text, short_name
from core.data.text_io import (
    CsvLayout,
    TextDataset,
    csv_layout,
    load_csv,
    load_txt,
    paste_dataset,
    summarize_text,
)
from core.data.texts import REVIEWS
from core.errors import AugLabError, ConfigError
from core.present.charts import label_count_figure, length_figure
from core.workspace.store import WorkspaceError
from ui import workspace
from ui.common import KEEP, TEXT_DATASET, init, literal, read_fields, seed_input, set_fields
from ui.data_views import by_object, by_token, code, error_message, show_problems

PREFIX = "txt"
SOURCE = "txt.source"
SAMPLE = "txt.sample"
PASTED = "txt.pasted"
UPLOAD = "txt.upload"
TEXT_COLUMN = "txt.text_column"
LABEL_COLUMN = "txt.label_column"
HEADER = "txt.header"  # + ".<upload id>": the "first row holds column names" toggle of one upload
PRESET = "txt.preset"
SEED = "txt.seed"
SHOWN = "txt.shown"
# Values derived from the input, kept in the session (see ui.data_views) so that reruns stay fast.
PASTED_DATASET = "txt.memo.pasted"  # (pasted text, TextDataset)
UPLOAD_LAYOUT = "txt.memo.layout"  # ((file_id, size), CsvLayout)
UPLOAD_DATASET = "txt.memo.upload"  # ((file_id, size, options...), TextDataset)
SUMMARY = "txt.memo.summary"  # (TextDataset, (summary, label figure, length figure))
UPLOAD_KEPT = "txt.memo.kept"  # ((file_id, size), [messages]): the upload, kept in the workspace once
UPLOAD_BYTES = "txt.memo.bytes"  # (sha256, bytes): the file the workspace kept, read once per session
PASTE_KEPT = "txt.memo.pasted_kept"  # (text, [messages]): the pasted text the workspace holds
SOURCES = ("Built-in sample", "Paste text", "Upload .txt or .csv")
NO_LABEL = "(none)"
NEGATIONS = ("no", "nor", "not", "never")
TEXT_NAMES = ("text", "sentence", "review", "content")  # column names guessed to hold the text
LABEL_NAMES = ("label", "class", "category", "sentiment")  # ... and the label
PASTE_EXAMPLE = (
    "The hotel room was spotless, and the staff couldn't have been friendlier.\n"
    "Our flight was delayed 3.5 hours with no explanation at all.\n"
    "I'd recommend the tasting menu: every course was a small surprise!"
)


def _key(name: str) -> str:
    return f"{PREFIX}.{name}"


@st.cache_resource(show_spinner="Loading the sample…")
def _sample(name: str) -> TextDataset:
    # Shared by all sessions and never changed by the pages.
    return load_builtin_text(name)


def dataset_picker() -> TextDataset | None:
    """A built-in sample, pasted lines or an uploaded file; notices and problems shown, then kept.

    Decoding and parsing happen once per input (sample, pasted text, upload and its column choices);
    reruns reuse the kept dataset.
    """
    left, right = st.columns([1, 4])
    source = left.radio("Text", SOURCES, key=SOURCE, persist_state=KEEP)
    dataset = None
    with right, _errors():
        if source == SOURCES[0]:
            name = right.selectbox(
                "Sample", display_names("text"), key=init(SAMPLE, REVIEWS), persist_state=KEEP
            )
            dataset = _sample(name)
        elif source == SOURCES[1]:
            text = right.text_area("One example per line", key=_pasted(), height=140, persist_state=KEEP)
            _keep_pasted(text)
            dataset = by_token(PASTED_DATASET, text, lambda: paste_dataset(text))
        else:
            dataset = _upload(right)
    if dataset is None:
        return st.session_state.get(TEXT_DATASET)
    for notice in dataset.notices:
        st.info(literal(notice))
    show_problems(dataset.problems, "rows")
    st.session_state[TEXT_DATASET] = dataset
    return dataset


def loaded() -> TextDataset | None:
    """The dataset the Text page has loaded in this workspace, even before a new session opens it.

    After a reload or in a new tab, the LSTM, Experiment and Export pages and Home see the same text as
    the Text page would: the sample its saved settings name, the pasted text or the uploaded file the
    workspace kept, with the CSV columns chosen for it. A file that cannot be read is left for the Text
    page to report.
    """
    dataset = st.session_state.get(TEXT_DATASET)
    if dataset is not None or SOURCE not in st.session_state:
        return dataset
    try:
        dataset = _restored(st.session_state[SOURCE])
    except (AugLabError, WorkspaceError):
        return None
    if dataset is not None:
        st.session_state[TEXT_DATASET] = dataset
    return dataset


def _restored(source: str) -> TextDataset | None:
    if source == SOURCES[0]:
        name = st.session_state.get(SAMPLE)
        return _sample(name) if name in display_names("text") else None
    kind = workspace.PASTED_TEXT if source == SOURCES[1] else workspace.TEXT_UPLOAD
    stored = workspace.stored_files(kind)
    if not stored:
        return None
    data = workspace.read_file(stored[-1])
    if kind == workspace.PASTED_TEXT:
        return paste_dataset(data.decode("utf-8", "replace"))
    name, csv = stored[-1].name, stored[-1].meta.get("csv")
    if not name.lower().endswith((".csv", ".tsv")):
        return load_txt(data, name)
    if not csv:  # its columns not chosen yet: the Text page asks
        return None
    return load_csv(data, name, csv["text_column"], csv["label_column"], header=csv["header"])


def job_data(dataset: TextDataset) -> dict[str, Any]:
    """The job's data entry for ``dataset``: a built-in sample's name, or the file the workspace keeps.

    Raises:
        WorkspaceError: The Text page's text is not kept in the workspace, so no worker can read it.
    """
    short = short_name(dataset.name)
    if short is not None:
        return {"builtin": short}
    pasted = st.session_state.get(SOURCE) == SOURCES[1]
    files = workspace.stored_files(workspace.PASTED_TEXT if pasted else workspace.TEXT_UPLOAD)[-1:]
    if not files:
        raise WorkspaceError(
            "The Text page's text is not kept in this workspace, so the worker cannot read it; free some "
            "space or load it again."
        )
    spec: dict[str, Any] = {"files": [{"name": files[0].name, "sha256": files[0].sha256}]}
    csv = files[0].meta.get("csv")
    if csv and not pasted:  # the column choices made on the Text page
        spec.update(text_column=csv["text_column"], label_column=csv["label_column"], header=csv["header"])
    return spec


def _pasted() -> str:
    """The text area's key, its first value being the text this workspace kept, else an example."""
    if PASTED not in st.session_state:
        kept = workspace.stored_files(workspace.PASTED_TEXT)
        try:
            text = workspace.read_file(kept[-1]).decode("utf-8", "replace") if kept else PASTE_EXAMPLE
        except WorkspaceError as exc:
            st.error(literal(exc), icon="⚠️")
            text = PASTE_EXAMPLE
        st.session_state[PASTED] = text
        st.session_state[PASTE_KEPT] = (text, [])
    return PASTED


def _keep_pasted(text: str) -> None:
    """Keep the pasted text in the workspace whenever it changed (a text area commits on blur)."""
    kept, not_kept = st.session_state.get(PASTE_KEPT, (None, []))
    if text != kept:
        not_kept = workspace.keep_files(workspace.PASTED_TEXT, [("Pasted text", text.encode("utf-8"))])
        st.session_state[PASTE_KEPT] = (text, not_kept)
    for message in not_kept:
        st.error(literal(message), icon="⚠️")


class _errors:
    """Show a user error where it happened and carry on (the previous dataset stays)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if isinstance(exc, AugLabError):
            st.error(error_message(exc), icon="⚠️")
            return True
        return False


def _guess(columns: list[str], names: tuple[str, ...], default: str) -> str:
    return next((c for c in columns if c.lower() in names), default)


def _forget_upload() -> None:
    for key in (UPLOAD_DATASET, UPLOAD_LAYOUT, UPLOAD_BYTES, TEXT_DATASET):
        st.session_state.pop(key, None)


def _upload(where) -> TextDataset | None:
    """The file in the uploader (kept in the workspace), or else the one the workspace kept."""
    file = where.file_uploader(
        "A .txt file (one example per line) or a .csv (with or without a header row)",
        type=["txt", "csv", "tsv"],
        key=UPLOAD,
    )
    if file is not None:
        name, data, ident = file.name, file.getvalue(), file.file_id
        not_kept = by_token(
            UPLOAD_KEPT,
            (file.file_id, file.size),
            lambda: workspace.keep_files(workspace.TEXT_UPLOAD, [(name, data)]),
        )
        for message in not_kept:
            st.error(literal(message), icon="⚠️")
    else:
        stored = workspace.stored_files(workspace.TEXT_UPLOAD)
        if not stored:
            st.info("Upload a file, paste text, or pick a built-in sample.")
            return None
        kept = stored[-1]
        workspace.restored_notice(workspace.TEXT_UPLOAD, [kept], on_forget=_forget_upload)
        try:
            data = by_token(UPLOAD_BYTES, kept.sha256, lambda: workspace.read_file(kept))
        except WorkspaceError as exc:
            st.error(literal(exc), icon="⚠️")
            return None
        name, ident = kept.name, f"ws{kept.sha256[:16]}"
        csv = kept.meta.get("csv")
        if csv:  # the choices made when it was uploaded
            init(f"{HEADER}.{ident}", csv["header"])
            init(f"{TEXT_COLUMN}.{ident}.{csv['header']}", csv["text_column"])
            init(f"{LABEL_COLUMN}.{ident}.{csv['header']}", csv["label_column"] or NO_LABEL)
    return _parse(where, name, data, ident)


def _parse(where, name: str, data: bytes, ident: str) -> TextDataset:
    """A .txt or a .csv with its column choices (widgets keyed by ``ident``, one per upload)."""
    upload = (ident, len(data))
    if not name.lower().endswith((".csv", ".tsv")):
        return by_token(UPLOAD_DATASET, (*upload, "txt"), lambda: load_txt(data, name))
    layout: CsvLayout = by_token(UPLOAD_LAYOUT, upload, lambda: csv_layout(data, name))
    header = where.toggle(
        "First row holds column names",
        key=init(f"{HEADER}.{ident}", layout.has_header),
        help="Off: the first row is data and the columns are called column 1, column 2, ...",
    )
    if not header and layout.header_doubt is not None:
        st.info(
            f"{code(name)}: the first row looks like data, not column names "
            f"({literal(layout.header_doubt)}), so it is read as data and the columns are called column 1, "
            "column 2, ...; switch on 'First row holds column names' if it is a header."
        )
    columns = layout.columns(header)
    if header:
        guess = _guess(columns, TEXT_NAMES, columns[0])
    else:  # no names to go by: the column whose first cell is longest most likely holds the text
        guess = columns[max(range(layout.width), key=lambda i: len(layout.first_row[i]))]
    c1, c2 = where.columns(2)
    text_column = c1.selectbox("Text column", columns, key=init(f"{TEXT_COLUMN}.{ident}.{header}", guess))
    labels = [NO_LABEL, *[c for c in columns if c != text_column]]
    label = c2.selectbox(
        "Label column",
        labels,
        key=init(f"{LABEL_COLUMN}.{ident}.{header}", _guess(labels, LABEL_NAMES, NO_LABEL)),
    )
    label_column = None if label == NO_LABEL else label
    workspace.update_meta(
        workspace.TEXT_UPLOAD,
        {"csv": {"header": header, "text_column": text_column, "label_column": label_column}},
    )
    token = (*upload, "csv", text_column, label_column, header)
    return by_token(
        UPLOAD_DATASET, token, lambda: load_csv(data, name, text_column, label_column, header=header)
    )


def _summary_and_figures(dataset: TextDataset):
    summary = summarize_text(dataset.examples)
    labels = label_count_figure(summary) if dataset.labels else None
    return summary, labels, length_figure(dataset.examples)


def dataset_summary(dataset: TextDataset) -> None:
    """Counts per label (bar chart) and length statistics (histogram of words per example), computed once
    per dataset."""
    summary, labels, lengths = by_object(SUMMARY, dataset, lambda: _summary_and_figures(dataset))
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
    if labels is not None:
        left.plotly_chart(labels, width="stretch")
    right.plotly_chart(lengths, width="stretch")


def _apply_preset() -> None:
    choice = st.session_state.get(PRESET)
    if choice is not None:
        set_fields(PREFIX, eda_preset(choice, TextAugConfig(**read_fields(PREFIX, TextAugConfig))))
    st.session_state[PRESET] = None


def config_controls(wordnet_ok: bool) -> TextAugConfig:
    """Sidebar widgets for every TextAugConfig field; SR and RI drop out when WordNet is missing."""
    default = TextAugConfig()
    for f in fields(TextAugConfig):  # settings saved before a field existed take its default
        value = getattr(default, f.name)
        init(_key(f.name), list(value) if isinstance(value, tuple) else value)
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
        ("alpha_noise", "Noise: share of words changed (alpha_noise)", _NOISE_HELP),
    ):
        sb.slider(label, 0.0, 1.0, step=0.01, key=_key(name), persist_state=KEEP, help=help)
    sb.slider(
        "Noise: characters changed per word, at most",
        1,
        10,
        key=_key("chars_per_word"),
        persist_state=KEEP,
        help="KB, OCR, CI, CS, CW and CD change 1 to this many characters of each word they pick.",
    )
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
        help="Never replaced, swapped, deleted or misspelt. Negations are the usual ones: deleting "
        "'not' flips a sentence's meaning. Numbers, URLs, e-mail addresses and paths are never touched.",
    )
    _filter_controls(sb)
    values = read_fields(PREFIX, TextAugConfig)
    chosen = tuple(ops or ())
    if not wordnet_ok:
        chosen = tuple(op for op in chosen if op not in WORDNET_OPERATIONS)
    if not chosen:
        needs = "" if wordnet_ok else " (SR and RI need WordNet)"
        raise ConfigError(f"choose at least one operation under Operations in the sidebar{needs}.")
    values["operations"] = chosen
    return TextAugConfig(**values)


_NOISE_HELP = (
    "KB keyboard typos, OCR errors, CI/CS/CW/CD character insertion, substitution, swap and deletion, "
    "SPL word splits, SPE common misspellings: n = max(1, round(alpha × words)) words each."
)
_FILTERS = (
    (
        "pos_filter",
        "Part of speech",
        "Only synonyms of the part of speech the word most likely has here "
        "(WordNet's sense counts, the word's ending, the word before it): 'plants' stays a noun.",
    ),
    ("inflect", "Inflect", "The synonym takes the word's form: 'cars' → 'automobiles', 'ran' → 'escaped'."),
    ("untagged_senses", "Senses never seen in WordNet's corpus", "Off: leave out senses with tag count 0."),
    ("rarity_filter", "Leave out much rarer words", "By wordfreq's English frequencies."),
    ("names_filter", "Leave out names and symbols", "'Oxygen' → 'O', 'water' → 'H2O'."),
    (
        "blocklist",
        "Blocklist",
        "Never an offensive or vulgar word (LDNOOBW's list, AugLab's additions "
        "and WordNet's obscene, slur and disparaging senses), nor one of your blocked words.",
    ),
    ("multiword_sr", "SR: synonyms of several words", "'water' → 'body of water'."),
    ("multiword_ri", "RI: insert synonyms of several words", ""),
)


def _filter_controls(sb) -> None:
    """The synonym filters, each of which can be turned off to see WordNet's raw synonyms."""
    with sb.expander("Synonym filters (SR, RI)"):
        legacy = st.session_state.get(_key("legacy_draws"), False)
        if legacy:
            st.toggle(
                "Draw as auglab.text_aug/1",
                key=_key("legacy_draws"),
                persist_state=KEEP,
                help="This configuration was saved by an earlier AugLab: on, it makes the variants it made "
                "then (synonyms as WordNet gives them, EDA's operations only). Off: the filters apply.",
            )
        st.caption(
            "Each filter can be turned off to see WordNet's raw synonyms; hover over an edit to see "
            "what was left out and why."
        )
        for name, label, help in _FILTERS:
            st.toggle(label, key=_key(name), persist_state=KEEP, help=help or None, disabled=legacy)
        st.slider(
            "Senses used (0: all)",
            0,
            10,
            key=_key("senses"),
            persist_state=KEEP,
            disabled=legacy,
            help="WordNet lists a word's senses most frequent first.",
        )
        st.slider(
            "Rarer by at most (zipf)",
            0.0,
            8.0,
            step=0.25,
            key=_key("max_rarer"),
            persist_state=KEEP,
            disabled=legacy,
            help="1 zipf = 10 times rarer than the word it replaces.",
        )
        st.multiselect(
            "Blocked words",
            sorted(st.session_state[_key("blocked_words")]),
            key=_key("blocked_words"),
            accept_new_options=True,
            persist_state=KEEP,
            disabled=legacy,
            placeholder="Type a word and press Enter",
        )


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
