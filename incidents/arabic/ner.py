"""Optional named-entity recognition with camel-tools' BERT tagger.

The pipeline finds places and actors with its own lexicons. Where an NER model is installed, the
places and groups it tags fill what the lexicons lack: a place name the gazetteer does not hold
(reported without coordinates) and a group name the actor lexicon does not hold.

Which model, in order:

1. ``INCIDENTS_NER_MODEL``: a local directory holding a BERT token-classification model that
   camel-tools' ``NERecognizer`` can load (``config.json``, weights, tokenizer files).
2. camel-tools' pretrained NER model, if its data package is installed (``camel_data -i ner``).
3. Neither: ``available_recognizer()`` returns None and the pipeline runs on its lexicons alone.

Nothing is ever downloaded. camel-tools fetches its data catalogue from GitHub as soon as
``camel_tools.data`` is imported without one (and ``camel_tools.ner`` imports it), so the
catalogue is looked for here before anything from camel-tools' data layer is imported.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Literal

from camel_tools.tokenizers.word import simple_word_tokenize

if TYPE_CHECKING:
    from camel_tools.ner import NERecognizer

MODEL_ENV = "INCIDENTS_NER_MODEL"
EntityKind = Literal["LOC", "ORG", "PERS", "MISC"]
_KINDS = frozenset({"LOC", "ORG", "PERS", "MISC"})
_CAMEL_NER_COMPONENT = "NamedEntityRecognition"


@dataclass(frozen=True)
class Entity:
    kind: EntityKind
    start_token: int      # [start_token, end_token) in the token list
    end_token: int
    text: str             # the tokens joined by single spaces


@dataclass(frozen=True)
class EntitySpan:
    kind: EntityKind
    start: int            # [start, end) in the text given to the tagger
    end: int
    text: str


def entities_from_labels(tokens: list[str], labels: list[str]) -> list[Entity]:
    """Entities from one BIO label per token.

    An I- label that does not continue an entity of its kind starts one, as in conlleval: the
    model saw a name there even if it got the boundary wrong.
    """
    found: list[Entity] = []
    kind: str | None = None
    start = 0

    def close(end: int) -> None:
        if kind is not None:
            found.append(Entity(kind, start, end, " ".join(tokens[start:end])))

    for index, label in enumerate(labels):
        prefix, _, label_kind = label.partition("-")
        # A model trained on other tag sets may emit kinds the pipeline has no use for.
        if label_kind not in _KINDS or prefix not in ("B", "I"):
            close(index)
            kind = None
        elif prefix == "B" or label_kind != kind:
            close(index)
            kind, start = label_kind, index
    close(len(labels))
    return found


def token_spans(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    """Character span of each token, found left to right (the tokenizer only slices the text)."""
    spans = []
    cursor = 0
    for token in tokens:
        start = text.index(token, cursor)
        cursor = start + len(token)
        spans.append((start, cursor))
    return spans


class NamedEntityTagger:
    """Entities in normalized Arabic text, from a camel-tools ``NERecognizer``."""

    def __init__(self, recognizer: NERecognizer):
        self.recognizer = recognizer

    def entities(self, tokens: list[str]) -> list[Entity]:
        return self._entities_of_token_lists([tokens])[0]

    def entities_in_text(self, normalized_text: str) -> list[EntitySpan]:
        return self.entities_batch([normalized_text])[0]

    def entities_batch(self, texts: list[str]) -> list[list[EntitySpan]]:
        """Entities of many texts (sentences, best) with one call into the model."""
        token_lists = [simple_word_tokenize(text) for text in texts]
        results = []
        for text, tokens, entities in zip(texts, token_lists, self._entities_of_token_lists(token_lists)):
            spans = token_spans(text, tokens)
            results.append([_entity_span(text, spans, entity) for entity in entities])
        return results

    def _entities_of_token_lists(self, token_lists: list[list[str]]) -> list[list[Entity]]:
        if not any(token_lists):
            return [[] for _ in token_lists]
        label_lists = self.recognizer.predict(token_lists)
        return [
            entities_from_labels(tokens, self._labels_in_step(tokens, labels))
            for tokens, labels in zip(token_lists, label_lists)
        ]

    def _labels_in_step(self, tokens: list[str], labels: list[str]) -> list[str]:
        if len(labels) == len(tokens):
            return labels
        # camel-tools gives no label to a word its BERT tokenizer reads as nothing (a stray
        # control character); without an 'O' in its place every later label would shift.
        remaining = iter(labels)
        return [next(remaining) if self.recognizer.tokenizer.tokenize(token) else "O" for token in tokens]


def _entity_span(text: str, spans: list[tuple[int, int]], entity: Entity) -> EntitySpan:
    start, end = spans[entity.start_token][0], spans[entity.end_token - 1][1]
    return EntitySpan(entity.kind, start, end, text[start:end])


def camel_data_dir() -> Path:
    """The directory camel-tools keeps its data in (the same rule as camel_tools.data.catalogue,
    which cannot be imported to ask, since importing it may fetch the catalogue)."""
    configured = os.environ.get("CAMELTOOLS_DATA")
    if configured is not None:
        return Path(configured).expanduser().absolute()
    if sys.platform == "win32":
        return Path.home() / "AppData" / "Roaming" / "camel_tools"
    return Path.home() / ".camel_tools"


def camel_data_installed() -> bool:
    # `camel_data -i <package>` writes the catalogue first, so no catalogue means no packages.
    return (camel_data_dir() / "catalogue.json").is_file()


def import_camel_module_offline(name: str) -> ModuleType:
    """Imports a camel-tools module that depends on ``camel_tools.data`` without letting that
    import fetch the catalogue: when there is none, camel-tools is shown an empty one, which is
    the truth (no data package is installed). Morphology, disambiguation and NER all need this.
    """
    if "camel_tools.data" in sys.modules or camel_data_installed():
        return importlib.import_module(name)
    configured = os.environ.get("CAMELTOOLS_DATA")
    os.environ["CAMELTOOLS_DATA"] = _empty_camel_data().name
    try:
        return importlib.import_module(name)
    finally:
        if configured is None:
            del os.environ["CAMELTOOLS_DATA"]
        else:
            os.environ["CAMELTOOLS_DATA"] = configured


@lru_cache(maxsize=1)
def _empty_camel_data() -> tempfile.TemporaryDirectory:
    # camel-tools keeps using the data directory it saw at import, so the directory must live as
    # long as the process: the cache holds it, and it is removed when the interpreter exits.
    directory = tempfile.TemporaryDirectory(prefix="incidents-no-camel-data-")
    Path(directory.name, "catalogue.json").write_text(
        json.dumps({"version": "none", "packages": {}, "components": {}}), encoding="utf-8")
    return directory


def _pretrained_model_dir() -> Path | None:
    if not camel_data_installed():
        return None
    try:
        catalogue = import_camel_module_offline("camel_tools.data").CATALOGUE
        model_dir = Path(catalogue.get_dataset(_CAMEL_NER_COMPONENT).path)
    except Exception:
        # A catalogue without the NER component, or an unreadable one: NER is simply not there.
        return None
    return model_dir if (model_dir / "config.json").is_file() else None


def _configured_model_dir() -> Path | None:
    configured = os.environ.get(MODEL_ENV)
    if not configured:
        return None
    model_dir = Path(configured).expanduser()
    # A path that is not a local model directory would be taken for a Hugging Face Hub name.
    if not (model_dir / "config.json").is_file():
        raise FileNotFoundError(f"{MODEL_ENV}={configured} is not a model directory (no config.json)")
    return model_dir


@lru_cache(maxsize=1)
def available_recognizer() -> NamedEntityTagger | None:
    """The tagger of the configured or installed NER model, or None; loaded once (call
    ``available_recognizer.cache_clear()`` after changing the configuration)."""
    model_dir = _configured_model_dir() or _pretrained_model_dir()
    if model_dir is None:
        return None
    # Only read when huggingface_hub is first imported; the local-directory checks above are
    # what keeps transformers off the network when it was imported earlier.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ner = import_camel_module_offline("camel_tools.ner")
    return NamedEntityTagger(ner.NERecognizer(str(model_dir)))
