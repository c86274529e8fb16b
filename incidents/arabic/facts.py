"""What one sentence of an article says, and a value read from it with its span.

``SentenceFacts`` holds a sentence's normalized text and everything the extractor found in it
(weapons, cues, places, numbers, dates); ``Candidate`` is one value for a field with the span of
the normalized sentence that gave it, so that every value can be traced to its evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from incidents.arabic.gazetteer import PlaceMatch
from incidents.arabic.lexicon import Match
from incidents.arabic.normalize import normalize_with_offsets
from incidents.arabic.numbers import Quantity
from incidents.arabic.sentences import Sentence

# One attack named with its noun in the singular (هجوم، القصف، عملية): this attack, not attacks in general.
SINGULAR_ATTACK_RE = re.compile(r"(?<!\w)[وفبل]?(?:ال)?(?:هجوم|عمليه|قصف|اعتداء|استهداف)(?!\w)")
# The two attacks named together with a dual (التفجيرين الانتحاريين اللذين ضربا بغداد): what the
# sentence says of their weapon and their claim holds for each of an article's two attacks.
TWO_ATTACKS_RE = re.compile(r"(?<!\w)[وفبل]?(?:ال)?(?:تفجير|هجوم|انفجار|اعتداء)(?:ين|ان)(?!\w)")
# Larger figures are misreadings; they would also not fit the database's INTEGER columns.
MAX_PLAUSIBLE_COUNT = 100_000


@dataclass
class SentenceFacts:
    sentence: Sentence
    normalized: str
    weapons: list[Match] = field(default_factory=list)
    attack_nouns: list[Match] = field(default_factory=list)
    event_verbs: list[Match] = field(default_factory=list)
    places: list[PlaceMatch] = field(default_factory=list)
    launch_cues: list[Match] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    dates: list = field(default_factory=list)
    targets: list[Match] = field(default_factory=list)
    cues: dict[str, list[Match]] = field(default_factory=dict)
    is_attack: bool = False
    is_background: bool = False
    is_aggregate: bool = False
    # The clause of the same sentence this one continues: its weapon and dates hold here too.
    context: "SentenceFacts | None" = None
    # Where what the sentence tells of this attack ends ("… وجاء بعد هجوم مماثل …": an earlier one).
    told_until: int | None = None
    # Where it goes on to another attack of the same day, told as the one this came shortly after
    # ("وجاء التفجير بعد ساعات من انفجار …"); the clause cut from there has ``precedes`` set, and
    # so has a sentence that tells an attack minutes or hours before or after the one just told
    # ("وقبل استهداف الآلية بدقائق ضرب انفجار …"): another attack, of the same time.
    shortly_after: int | None = None
    precedes: bool = False
    _offsets: list[int] | None = None

    @property
    def told(self) -> str:
        """The normalized sentence up to where it goes on to an earlier event."""
        return self.normalized if self.told_until is None else self.normalized[:self.told_until]

    def has(self, kind: str) -> bool:
        return bool(self.cues.get(kind))

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Maps a span of the normalized sentence to offsets in the article's original text."""
        if self._offsets is None:
            _, self._offsets = normalize_with_offsets(self.sentence.text)
        offsets = self._offsets
        start = min(start, len(offsets) - 1)
        end = min(max(end, start), len(offsets) - 1)
        first = offsets[start]
        last = offsets[end - 1] + 1 if end > start else first
        return self.sentence.start + first, self.sentence.start + last


@dataclass
class Candidate:
    value: object
    facts: SentenceFacts
    start: int
    end: int
    confidence: float
    update: bool = False


def plausible(candidate: Candidate | None) -> Candidate | None:
    """A count no attack report gives (a misread number, a phone number) is no count at all."""
    if candidate is None or not isinstance(candidate.value, int) or candidate.value <= MAX_PLAUSIBLE_COUNT:
        return candidate
    return None


def search_if(pattern: re.Pattern, text: str, needles: tuple[str, ...]) -> re.Match | None:
    """The pattern's first match, skipping the regex when none of its key words is in the text
    (every match of the pattern holds one of ``needles``)."""
    if any(needle in text for needle in needles):
        return pattern.search(text)
    return None


def finditer_if(pattern: re.Pattern, text: str, needles: tuple[str, ...]):
    """The pattern's matches, skipping the regex when none of its key words is in the text."""
    if any(needle in text for needle in needles):
        return pattern.finditer(text)
    return ()
