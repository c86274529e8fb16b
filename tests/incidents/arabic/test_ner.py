"""The optional NER layer, run through camel-tools' NERecognizer on a tiny model built here.

The model is a one-layer BERT whose weights are set by hand so that its output is known: the
encoder passes each word's embedding through unchanged (attention and feed-forward outputs are
zero), only the words in WORD_LABELS have a non-zero embedding, and the classifier maps each of
those embeddings to its label and everything else to 'O' (through the bias).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from incidents.arabic import ner
from incidents.arabic.ner import Entity, EntitySpan

CAMEL_LABELS = ["B-LOC", "B-ORG", "B-PERS", "B-MISC", "I-LOC", "I-ORG", "I-PERS", "I-MISC", "O"]
WORD_LABELS = {"بغداد": "B-LOC", "مدينه": "B-LOC", "الصدر": "I-LOC", "داعش": "B-ORG"}
OTHER_WORDS = ["انفجار", "في", "تبنى", "الهجوم", "قتل", "شخص"]
HIDDEN = 16


def build_tiny_model(model_dir: Path) -> None:
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORD_LABELS, *OTHER_WORDS]
    vocab += sorted({ch for word in vocab[5:] for ch in word})  # unknown words become letters
    model_dir.mkdir()
    (model_dir / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(vocab={token: index for index, token in enumerate(vocab)})

    config = BertConfig(
        vocab_size=len(vocab), hidden_size=HIDDEN, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=256,
        id2label=dict(enumerate(CAMEL_LABELS)), label2id={label: i for i, label in enumerate(CAMEL_LABELS)},
    )
    model = BertForTokenClassification(config)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            parameter.fill_(1.0 if "LayerNorm.weight" in name else 0.0)
        # Word i of WORD_LABELS gets +1 in dimension i and -1 in dimension i + HIDDEN/2: a mean-zero
        # vector, so layer normalization only rescales it, and no two words share a direction.
        half = HIDDEN // 2
        embeddings = model.bert.embeddings.word_embeddings.weight
        classifier = model.classifier
        for direction, (word, label) in enumerate(WORD_LABELS.items()):
            embeddings[vocab.index(word), direction] = 1.0
            embeddings[vocab.index(word), direction + half] = -1.0
            classifier.weight[CAMEL_LABELS.index(label), direction] = 1.0
            classifier.weight[CAMEL_LABELS.index(label), direction + half] = -1.0
        classifier.bias[CAMEL_LABELS.index("O")] = 1.0
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory) -> Path:
    model_dir = tmp_path_factory.mktemp("ner") / "tiny-bert"
    build_tiny_model(model_dir)
    return model_dir


@pytest.fixture
def no_camel_data(tmp_path, monkeypatch) -> Path:
    """camel-tools sees an empty data directory, and a home directory of its own to write into."""
    empty = tmp_path / "camel-data"
    empty.mkdir()
    monkeypatch.setenv("CAMELTOOLS_DATA", str(empty))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return empty


@pytest.fixture
def tagger(tiny_model_dir, no_camel_data, monkeypatch):
    monkeypatch.setenv(ner.MODEL_ENV, str(tiny_model_dir))
    ner.available_recognizer.cache_clear()
    yield ner.available_recognizer()
    ner.available_recognizer.cache_clear()


def test_the_configured_model_is_loaded_by_camel_tools(tagger):
    from camel_tools.ner import NERecognizer

    assert isinstance(tagger.recognizer, NERecognizer)
    assert tagger.recognizer.predict_sentence(["انفجار", "في", "بغداد"]) == ["O", "O", "B-LOC"]


def test_entities_from_tokens(tagger):
    tokens = ["انفجار", "في", "مدينه", "الصدر", "تبنى", "داعش", "الهجوم"]
    assert tagger.entities(tokens) == [
        Entity("LOC", 2, 4, "مدينه الصدر"),
        Entity("ORG", 5, 6, "داعش"),
    ]


def test_entities_in_text_have_character_spans(tagger):
    # Punctuation is split off by camel-tools' tokenizer; runs of spaces stay in the text.
    text = "انفجار في بغداد،  وتبنى داعش (الهجوم) في مدينه   الصدر."
    spans = tagger.entities_in_text(text)
    assert spans == [
        EntitySpan("LOC", text.index("بغداد"), text.index("بغداد") + 5, "بغداد"),
        EntitySpan("ORG", text.index("داعش"), text.index("داعش") + 4, "داعش"),
        EntitySpan("LOC", text.index("مدينه"), len(text) - 1, "مدينه   الصدر"),
    ]
    assert all(text[span.start:span.end] == span.text for span in spans)


def test_a_batch_is_one_call_into_the_model(tagger, monkeypatch):
    calls = []
    predict = tagger.recognizer.predict

    def counted_predict(sentences):
        calls.append(sentences)
        return predict(sentences)

    monkeypatch.setattr(tagger.recognizer, "predict", counted_predict)

    results = tagger.entities_batch(["قتل شخص في بغداد", "", "تبنى داعش الهجوم"])

    assert len(calls) == 1
    assert [[span.text for span in spans] for spans in results] == [["بغداد"], [], ["داعش"]]


def test_a_word_the_model_cannot_see_keeps_the_labels_in_step(tagger):
    # BERT's tokenizer drops a control character altogether, so camel-tools gives it no label.
    assert tagger.entities(["\x07", "في", "بغداد"]) == [Entity("LOC", 2, 3, "بغداد")]


def test_without_a_model_or_camel_data_there_is_no_recognizer(no_camel_data, monkeypatch):
    monkeypatch.delenv(ner.MODEL_ENV, raising=False)
    ner.available_recognizer.cache_clear()
    try:
        assert ner.available_recognizer() is None
    finally:
        ner.available_recognizer.cache_clear()


def test_a_configured_path_that_is_not_a_model_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(ner.MODEL_ENV, str(tmp_path / "missing"))
    ner.available_recognizer.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match=ner.MODEL_ENV):
            ner.available_recognizer()
    finally:
        ner.available_recognizer.cache_clear()


def test_bio_labels_become_entities():
    tokens = ["a", "b", "c", "d", "e"]
    # A stray I- starts an entity; a change of kind ends one.
    assert ner.entities_from_labels(tokens, ["I-LOC", "I-LOC", "B-PERS", "I-ORG", "O"]) == [
        Entity("LOC", 0, 2, "a b"),
        Entity("PERS", 2, 3, "c"),
        Entity("ORG", 3, 4, "d"),
    ]


def test_extraction_names_a_place_the_gazetteer_lacks_when_a_model_is_there(tagger):
    from tasks.extract import ArticleInput, extract_article

    text = "سقط صاروخان على مدينه نائية مساء اليوم دون خسائر بشرية."
    (mention,) = extract_article(ArticleInput("a1", text, None))
    assert mention.location_name_ar == "مدينه" and mention.latitude is None
    assert any(v.field == "location_name" and v.value == "مدينه" for v in mention.values)


def test_extraction_without_a_model_leaves_an_unknown_place_blank(no_camel_data, monkeypatch):
    from incidents.arabic import ner
    from tasks.extract import ArticleInput, extract_article

    monkeypatch.delenv(ner.MODEL_ENV, raising=False)
    ner.available_recognizer.cache_clear()
    (mention,) = extract_article(ArticleInput("a1", "سقط صاروخان على مدينه نائية مساء اليوم.", None))
    assert mention.location_name_ar is None
