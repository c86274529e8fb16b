"""Lexicons (data files in ``lexicons/``) compiled into matchers over normalized text.

Phrases are written in ordinary spelling in the CSV files; they are normalized here with the
same function as the articles. A phrase matches as whole words, also with the clitics Arabic
attaches in front of a word (و ف ب ل ك, and ل + ال contracted to لل).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from incidents import LEXICON_DIR
from incidents.arabic.normalize import normalize


@dataclass(frozen=True)
class Match:
    start: int            # span in the normalized text, clitics included
    end: int
    phrase: str           # the normalized lexicon phrase that matched
    payload: object


def read_rows(name: str, directory: Path | None = None) -> list[dict[str, str]]:
    path = (directory or LEXICON_DIR) / name
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(line for line in handle if not line.startswith("#"))
        ]


_WORD_RE = re.compile(r"\w+")
# Punctuation between two words ends a phrase: "المنطقة، الخضراء" is not "المنطقة الخضراء".
_PHRASE_BREAK_RE = re.compile(r"[.,;:!?\"()\[\]«»/]")
# A place's name may be quoted after its kind: مطار "عربت"، قاعدة "عين الأسد".
NAME_BREAK_RE = re.compile(r"[.,;:!?()\[\]«»/]")


@lru_cache(maxsize=200_000)
def _bases(token: str, definite_too: bool) -> tuple[str, ...]:
    """The forms a text word may have before its clitics: و ف, then ب ل ك, ل + ال written لل,
    and (``definite_too``) the article ال itself."""
    forms = {token}
    if token[:1] in "وف" and len(token) > 2:
        forms.add(token[1:])
    for form in list(forms):
        if form[:1] in "بلك" and len(form) > 2:
            forms.add(form[1:])
    for form in list(forms):
        if form.startswith("لل") and len(form) > 3:
            forms.add("ال" + form[2:])
            if definite_too:
                forms.add(form[2:])
        if definite_too and form.startswith("ال") and len(form) > 3:
            forms.add(form[2:])
    return tuple(forms)


@lru_cache(maxsize=256)
def _tokens(text: str) -> tuple[tuple[int, int, str], ...]:
    """Words of a text with their spans; every matcher of a sentence shares one tokenization."""
    return tuple((m.start(), m.end(), m.group()) for m in _WORD_RE.finditer(text))


# Words a matcher remembers before it forgets them all: news has a few hundred thousand word
# forms, most met once, and the most frequent 20,000 cover most of the words of a text. A full
# memo costs ~5 MB (measured: ~25 MB at 100,000 words, with the clitic forms it caches).
_MEMO_WORDS = 20_000


class _WordMemo(dict):
    """What a matcher makes of each text word, computed the first time it meets the word."""

    def __init__(self, compute):
        super().__init__()
        self.compute = compute

    def __missing__(self, word: str):
        if len(self) >= _MEMO_WORDS:
            self.clear()
        value = self[word] = self.compute(word)
        return value


class PhraseMatcher:
    """Finds the longest lexicon phrases in normalized text, left to right, without overlaps.

    Matching walks the text's words once and looks each one up (with its clitics taken off) in a
    table of phrases by first word: the cost grows with the text, not with the lexicon.
    """

    def __init__(self, entries: dict[str, object], definite_too: bool = False,
                 breaks: re.Pattern = _PHRASE_BREAK_RE):
        self.entries = {normalize(phrase).strip(): payload for phrase, payload in entries.items() if phrase.strip()}
        self.definite_too = definite_too
        self._breaks = breaks  # what may not stand between two words of a phrase
        self._by_first_word: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase in self.entries:
            words = tuple(_WORD_RE.findall(phrase))
            if words:
                self._by_first_word.setdefault(words[0], []).append((words, phrase))
        for candidates in self._by_first_word.values():
            candidates.sort(key=lambda item: (-len(item[0]), -len(item[1])))
        self._first_words = frozenset(self._by_first_word)
        # Whether a text word, its clitics taken off, is the first word of some phrase.
        self._starts_phrase = _WordMemo(lambda word: not self._first_words.isdisjoint(_bases(word, definite_too)))

    def finditer(self, text: str) -> Iterator[Match]:
        tokens = _tokens(text)
        starts_phrase = self._starts_phrase
        free_from = 0
        for index, (_, _, word) in enumerate(tokens):
            if index < free_from or not starts_phrase[word]:
                continue
            found = self._match_at(text, tokens, index)
            if found is not None:
                length, phrase = found
                yield Match(tokens[index][0], tokens[index + length - 1][1], phrase, self.entries[phrase])
                free_from = index + length

    def _match_at(self, text: str, tokens: tuple[tuple[int, int, str], ...], index: int) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        by_first_word = self._by_first_word
        for base in _bases(tokens[index][2], self.definite_too):
            candidates = by_first_word.get(base)
            if candidates is None:
                continue
            for words, phrase in candidates:
                length = len(words)
                if best is not None and (length, len(phrase)) <= (best[0], len(best[1])):
                    break
                if index + length > len(tokens):
                    continue
                if all(tokens[index + k][2] == words[k] and
                       not self._breaks.search(text, tokens[index + k - 1][1], tokens[index + k][0])
                       for k in range(1, length)):
                    best = (length, phrase)
                    break
        return best

    def find_all(self, text: str) -> list[Match]:
        return list(self.finditer(text))

    def search(self, text: str) -> Match | None:
        return next(self.finditer(text), None)


class LexiconSet:
    """Several lexicons matched in one walk over a text's words.

    Each lexicon finds exactly what its own ``PhraseMatcher.find_all`` finds (longest phrases,
    left to right, no overlaps within a lexicon; lexicons may overlap each other), but the words
    that can start a phrase are looked up once for all of them: a sentence is read by some twenty
    cue lexicons, and their separate walks were a third of the extractor's time.
    """

    def __init__(self, matchers: dict[str, PhraseMatcher]):
        if len({matcher.definite_too for matcher in matchers.values()}) > 1:
            raise ValueError("the lexicons of a set must take clitics off the same way")
        self.matchers = matchers
        self.definite_too = next(iter(matchers.values())).definite_too if matchers else False
        self._names_by_first_word: dict[str, tuple[str, ...]] = {}
        for name, matcher in matchers.items():
            for word in matcher._first_words:
                self._names_by_first_word[word] = self._names_by_first_word.get(word, ()) + (name,)
        # The lexicons a text word, its clitics taken off, can start a phrase of.
        self._lexicons_started = _WordMemo(self._lexicons_starting)

    def _lexicons_starting(self, word: str) -> tuple[str, ...]:
        names: set[str] = set()
        for base in _bases(word, self.definite_too):
            names.update(self._names_by_first_word.get(base, ()))
        return tuple(names)

    def find_all(self, text: str) -> dict[str, list[Match]]:
        found: dict[str, list[Match]] = {name: [] for name in self.matchers}
        tokens = _tokens(text)
        lexicons_started = self._lexicons_started
        free_from = dict.fromkeys(self.matchers, 0)
        for index, (_, _, word) in enumerate(tokens):
            for name in lexicons_started[word]:
                if index < free_from[name]:
                    continue
                matcher = self.matchers[name]
                match = matcher._match_at(text, tokens, index)
                if match is not None:
                    length, phrase = match
                    found[name].append(Match(tokens[index][0], tokens[index + length - 1][1], phrase,
                                             matcher.entries[phrase]))
                    free_from[name] = index + length
        return found


@lru_cache(maxsize=None)
def cue_matcher(kind: str) -> PhraseMatcher:
    return PhraseMatcher({row["phrase"]: kind for row in read_rows("cues.csv") if row["kind"] == kind})


@lru_cache(maxsize=None)
def cue_matchers(kinds: tuple[str, ...]) -> LexiconSet:
    return LexiconSet({kind: cue_matcher(kind) for kind in kinds})


@dataclass(frozen=True)
class WeaponTerm:
    weapon_type: str
    detail: str | None
    adjective: bool       # صاروخي: a rocket only when it qualifies an attack noun
    qualifier: bool = False  # فاتح، ذو الفقار: a missile's name, only right after a rocket word or طراز


@lru_cache(maxsize=1)
def weapon_matcher() -> PhraseMatcher:
    return PhraseMatcher({
        row["phrase"]: WeaponTerm(row["weapon_type"], row["detail"] or None, row["kind"] == "adjective",
                                   row["kind"] == "qualifier")
        for row in read_rows("weapons.csv")
    }, definite_too=True)


@dataclass(frozen=True)
class TargetTerm:
    target_type: str
    name_en: str


@lru_cache(maxsize=1)
def target_matcher() -> PhraseMatcher:
    return PhraseMatcher({row["phrase"]: TargetTerm(row["target_type"], row["name_en"]) for row in read_rows("targets.csv")},
                         definite_too=True)


@lru_cache(maxsize=1)
def actor_matcher() -> PhraseMatcher:
    return PhraseMatcher({row["phrase"]: row["name_en"] for row in read_rows("actors.csv")})


@lru_cache(maxsize=1)
def victim_roles() -> dict[str, str]:
    """Count-noun lemma (normalized) -> the target type its victims imply."""
    return {normalize(row["lemma"]): row["target_type"] for row in read_rows("victim_roles.csv")}


def word_alternation(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, preferring the longest, factored as a trie.

    Python's regex engine tries alternatives one after another; sharing prefixes makes a few
    hundred words cost about one character test per scanned position instead of one per word.
    A space inside a multiword form matches any run of whitespace.
    """
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_source(trie)


def _trie_source(node: dict[str, dict]) -> str:
    branches = [
        (r"\s+" if char == " " else re.escape(char)) + _trie_source(child)
        for char, child in sorted(node.items())
        if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body
