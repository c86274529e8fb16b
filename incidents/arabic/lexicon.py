"""Lexicons (data files in ``lexicons/``) compiled into matchers over normalized text.

Phrases are written in ordinary spelling in the CSV files; they are normalized here with the
same function as the articles. A phrase matches as whole words, also with the clitics Arabic
attaches in front of a word (و ف ب ل ك, and ل + ال contracted to لل).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
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


def _phrase_pattern(phrase: str, definite_too: bool) -> str:
    words = [re.escape(word) for word in phrase.split()]
    body = r"\s+".join(words)
    if phrase.startswith("ال"):
        rest = r"\s+".join([re.escape(phrase.split()[0][2:])] + words[1:])
        return rf"(?:[وف]?[بك]?{body}|[وف]?لل{rest})"
    if definite_too:
        # غارة also matches الغارة / بالغارة / للغارة.
        return rf"(?:[وف]?[بك]?(?:ال)?|[وف]?لل?){body}"
    return rf"(?:[وف]?[بلك]?){body}"


class PhraseMatcher:
    """Finds the longest lexicon phrases in normalized text, left to right, without overlaps."""

    def __init__(self, entries: dict[str, object], definite_too: bool = False):
        self.entries = {normalize(phrase).strip(): payload for phrase, payload in entries.items() if phrase.strip()}
        ordered = sorted(self.entries, key=len, reverse=True)
        self._groups = {f"p{i}": phrase for i, phrase in enumerate(ordered)}
        alternatives = "|".join(f"(?P<p{i}>{_phrase_pattern(phrase, definite_too)})" for i, phrase in enumerate(ordered))
        self._regex = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if ordered else None

    def finditer(self, text: str) -> Iterator[Match]:
        if self._regex is None:
            return
        for found in self._regex.finditer(text):
            phrase = self._groups[found.lastgroup]
            yield Match(found.start(), found.end(), phrase, self.entries[phrase])

    def find_all(self, text: str) -> list[Match]:
        return list(self.finditer(text))

    def search(self, text: str) -> Match | None:
        return next(self.finditer(text), None)


@lru_cache(maxsize=None)
def cue_matcher(kind: str) -> PhraseMatcher:
    return PhraseMatcher({row["phrase"]: kind for row in read_rows("cues.csv") if row["kind"] == kind})


@dataclass(frozen=True)
class WeaponTerm:
    weapon_type: str
    detail: str | None
    adjective: bool       # صاروخي: a rocket only when it qualifies an attack noun


@lru_cache(maxsize=1)
def weapon_matcher() -> PhraseMatcher:
    return PhraseMatcher({
        row["phrase"]: WeaponTerm(row["weapon_type"], row["detail"] or None, row["kind"] == "adjective")
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
