"""Paragraphs and sentences of Arabic news copy, as spans of the original text.

Sentences end at . ! ? ؟ and at line breaks, but not inside a quotation: statements quoted from
officials often hold several sentences, and what they say belongs with the sentence that
introduces them. Decimal points and abbreviations with dots (أ.ف.ب) do not end a sentence.

A scraped page often carries furniture around the story: a section name, a menu, a date line,
"print", a byline (الرئيسية » أخبار، طباعة، الأحد 29/12/2019 - 10:42 م، واشنطن - المغرب اليوم).
Each sentence also says how many paragraphs of the story come before its own
(``story_paragraph``), so that "the lead" means the story's first paragraphs wherever the
furniture ends. A paragraph of the story has at least five words of two letters or more (a
"skip to content" link has none); the short lines a text opens with count as one (the dateline's
place: بغداد - واع), later short lines (a date line or "print" between the headline and the lead)
not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_BREAK_RE = re.compile(r"[.!?؟]+(?=\s|$)|\n")
_QUOTE_MARK_RE = re.compile("[\"“«”»]")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
TEXT_PARAGRAPH_WORDS = 5
# A page's "skip to content / to the main menu / to more pages" links are furniture however many
# words they have.
_SKIP_LINK_RE = re.compile(r"\s*(?:تخطي|تخطى|تجاوز|انتقل|الانتقال)\s+(?:إلى|الى)\s")


@dataclass(frozen=True)
class Sentence:
    index: int            # order in the article
    paragraph: int
    start: int            # span in the original text
    end: int
    text: str             # the original text of the sentence
    story_paragraph: int = 0  # paragraphs of text (not page furniture) before this one


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
    return _counted_story_paragraphs(sentences)


def _counted_story_paragraphs(sentences: list[Sentence]) -> list[Sentence]:
    words: dict[int, int] = {}
    for sentence in sentences:
        counted = 0 if _SKIP_LINK_RE.match(sentence.text) else len(_WORD_RE.findall(sentence.text))
        words[sentence.paragraph] = words.get(sentence.paragraph, 0) + counted
    before: dict[int, int] = {}
    count = 0
    for paragraph in sorted(words):
        text = words[paragraph] >= TEXT_PARAGRAPH_WORDS
        if count == 0 and paragraph > 0 and text:
            count = 1  # the short lines the text opens with: one paragraph
        before[paragraph] = count
        count += text
    return [replace(sentence, story_paragraph=before[sentence.paragraph]) for sentence in sentences]
