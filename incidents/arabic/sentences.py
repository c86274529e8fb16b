"""Paragraphs and sentences of Arabic news copy, as spans of the original text.

Sentences end at . ! ? ؟ and at line breaks, but not inside a quotation: statements quoted from
officials often hold several sentences, and what they say belongs with the sentence that
introduces them. Decimal points and abbreviations with dots (أ.ف.ب) do not end a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BREAK_RE = re.compile(r"[.!?؟]+(?=\s|$)|\n")
_QUOTE_MARK_RE = re.compile("[\"“«”»]")


@dataclass(frozen=True)
class Sentence:
    index: int            # order in the article
    paragraph: int
    start: int            # span in the original text
    end: int
    text: str             # the original text of the sentence


def _quote_depth_changes(text: str) -> list[tuple[int, int]]:
    changes = []
    straight_open = False
    for mark in _QUOTE_MARK_RE.finditer(text):
        ch = mark.group()
        if ch == '"':
            straight_open = not straight_open
            changes.append((mark.start(), 1 if straight_open else -1))
        else:
            changes.append((mark.start(), 1 if ch in "“«" else -1))
    return changes


def split_sentences(text: str, max_sentence_chars: int = 2000) -> list[Sentence]:
    """Sentences in order. A run-on 'sentence' longer than the limit is cut at spaces, so that
    one 5 MB paragraph cannot make any later stage quadratic."""
    quote_changes = _quote_depth_changes(text)
    change_index = 0
    depth = 0
    sentences: list[Sentence] = []
    paragraph = 0
    start = 0

    def emit(end: int) -> None:
        nonlocal start
        piece_start, piece_end = start, end
        while piece_start < piece_end and text[piece_start].isspace():
            piece_start += 1
        while piece_end > piece_start and text[piece_end - 1].isspace():
            piece_end -= 1
        while piece_end - piece_start > max_sentence_chars:
            cut = text.rfind(" ", piece_start, piece_start + max_sentence_chars)
            cut = cut if cut > piece_start else piece_start + max_sentence_chars
            sentences.append(Sentence(len(sentences), paragraph, piece_start, cut, text[piece_start:cut]))
            piece_start = cut + 1 if cut < len(text) and text[cut] == " " else cut
        if piece_end > piece_start:
            sentences.append(Sentence(len(sentences), paragraph, piece_start, piece_end, text[piece_start:piece_end]))
        start = end

    for found in _BREAK_RE.finditer(text):
        while change_index < len(quote_changes) and quote_changes[change_index][0] < found.start():
            depth = max(0, depth + quote_changes[change_index][1])
            change_index += 1
        if found.group() == "\n":
            # A line break ends a sentence and a paragraph; quotes never run across paragraphs.
            emit(found.start())
            start = found.end()
            depth = 0
            if sentences and sentences[-1].paragraph == paragraph:
                paragraph += 1
            continue
        if depth > 0:
            continue
        emit(found.end())
    emit(len(text))
    return sentences
