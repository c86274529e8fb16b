"""Killed and injured: every figure an attack's sentences give, and the one that is kept.

The kinds of statement, most explicit first: a toll (ارتفعت حصيلة القتلى إلى خمسة), a count of
casualty nouns (أربعة قتلى، خمسة شهداء), victims after a verb (مقتل ثلاثة جنود، إصابة طفلة
وامرأة), an explicit none (دون خسائر بشرية). A statement introduced as an update wins over the ones
before it. Rules and the real reporting they serve: docs/extraction.md, section 5.
"""

from __future__ import annotations

import re

from incidents.arabic.facts import Candidate, SentenceFacts, finditer_if
from incidents.arabic.numbers import Quantity, parse_number

CASUALTY_WINDOW_CHARS = 45
_CASUALTY_NOUN_RE = re.compile(
    r"(?<!\w)(?:(?P<number>\d+|[^\s\d]+)\s+)?(?:ال)?(?P<noun>قتلي|قتيلا|قتيلين|قتيلان|قتيل|جرحي|جريحا|جريحين|جريحان|جريح|مصابين|مصابا)(?!\w)"
)
_DUAL_CASUALTY = {"قتيلين", "قتيلان", "جريحين", "جريحان"}
_SINGLE_CASUALTY = {"قتيل", "جريح"}
_RESTRICTED_NONE_RE = re.compile(r"\s*(?:\w+\s+){0,2}?(?:في|ضمن|بين)\s+صفوف")
_TOLL_RE = re.compile(
    r"(?:حصيله|عدد)\s+(?:(?P<killed>القتلي|الضحايا|الشهداء|الوفيات)|(?P<injured>الجرحي|المصابين|الاصابات))"
    r"(?:\s+\S+){0,3}?\s+(?:الي|بلغ|بلغت|وصل|وصلت)?\s*(?P<number>\d+|[^\s\d,.]+(?:\s+(?:و\S+|عشر|عشره))?)")
# "دون أن يسفر الانفجار عن خسائر بشرية": the negation and the losses with words between them.
_NO_LOSSES_RE = re.compile(
    r"(?<!\w)[وف]?(?:دون ان|دون|لم|لا)\s+(?:\S+\s+){0,3}?(?:يسفر|تسفر|يتسبب|تتسبب|يوقع|توقع|تخلف|يخلف|تسجل|يسجل)"
    r"\s+(?:\S+\s+){0,2}?(?:عن|ب|في)?\s*(?:اي\s+|وقوع\s+)?(?:خسائر بشريه|ضحايا|اصابات|خسائر في الارواح)")
_LOSS_VERBS = ("يسفر", "تسفر", "يتسبب", "تتسبب", "يوقع", "توقع", "تخلف", "يخلف", "تسجل", "يسجل")
_NO_DEATHS_RE = re.compile(
    r"(?<!\w)[وف]?(?:دون|لم|لا)\s+(?:\S+\s+){0,2}?(?:اي\s+)?(?:وفيات|حالات? وفاه|قتلي|قتيل)(?!\w)")
_NOBODY_HURT_RE = re.compile(r"(?<!\w)(?:لم|دون ان)\s+(?:يصب|يصاب|تصب)\s+(?:اي|احد)(?!\w)")
_AMONG_THEM_RE = re.compile(r"(?:بينهم|بينهن|منهم|منهن|بينها)\s*$")
_BARE_COUNT_RE = re.compile(r"\s*(?P<number>\d+|[^\s\d,.]+)\s+(?:اخرين|اخريات|اخرون|اشخاص اخرين)(?!\w)")


def reports_casualties(facts: SentenceFacts) -> bool:
    return bool(facts.has("update") or _TOLL_RE.search(facts.normalized)
                or facts.has("no_casualties") or facts.has("no_killed") or facts.has("no_injured")
                or _NO_LOSSES_RE.search(facts.normalized) or _NO_DEATHS_RE.search(facts.normalized)
                or ((facts.has("killed") or facts.has("injured")) and any(q.category == "person" for q in facts.quantities)))


def best(candidates: list[Candidate]) -> Candidate | None:
    """An update wins over what came before it; then the most explicit, then the latest."""
    if not candidates:
        return None
    updates = [c for c in candidates if c.update]
    if updates:
        return max(enumerate(updates), key=lambda item: (item[1].confidence, item[0]))[1]
    # Statements of one article at the same level: the fuller account (the larger figure).
    return max(candidates, key=lambda c: (c.confidence, c.value if isinstance(c.value, int) else 0))


def casualty_candidates(sentences: list[SentenceFacts], kind: str) -> list[Candidate]:
    """Every figure the article's sentences give for ``kind`` ('killed' or 'injured').

    Confidence orders the kinds of statement: a toll (ارتفعت حصيلة القتلى إلى خمسة) over a count
    of casualty nouns (أربعة قتلى) over victims after a verb (مقتل ثلاثة جنود) over "no losses".
    """
    found: list[Candidate] = []
    for facts in sentences:
        update = facts.has("update")
        for toll in finditer_if(_TOLL_RE, facts.normalized, ("حصيله", "عدد")):
            if toll.group(kind):
                value = parse_number(toll.group("number"))
                if value is not None:
                    found.append(Candidate(value, facts, toll.start(), toll.end(), 0.97, update))
        for noun in finditer_if(_CASUALTY_NOUN_RE, facts.normalized, ("قتل", "قتي", "جرح", "جري", "مصاب")):
            if noun.group("noun").startswith(("قتيل", "قتلي")) != (kind == "killed"):
                continue
            value = _casualty_noun_value(noun)
            if value is not None:
                found.append(Candidate(value, facts, noun.start(), noun.end(), 0.95, update))
        # "two of the faction's members" counts victims; "among them a child" counts some again.
        persons = [q for q in facts.quantities
                   if q.category == "person" and not _AMONG_THEM_RE.search(facts.normalized[max(0, q.start - 12):q.start])]
        cues = facts.cues.get(kind, [])
        all_cue_starts = sorted(c.start for k in ("killed", "injured") for c in facts.cues.get(k, []))
        for cue in cues:
            stop = next((start for start in all_cue_starts if start > cue.start), len(facts.normalized))
            group = [q for q in persons if 0 <= q.start - cue.end <= CASUALTY_WINDOW_CHARS
                     and q.start < stop and q.value is not None]
            if group:
                # Coordinated victims (طفلة وامرأة) add up; a run of them is one statement.
                group = _coordinated_run(facts.normalized, group)
                total = sum(q.value for q in group)
                explicit = any(q.text[:1].isdigit() or q.value > 2 for q in group)
                found.append(Candidate(total, facts, cue.start, group[-1].end, 0.9 if explicit else 0.7, update))
                continue
            bare = _BARE_COUNT_RE.match(facts.normalized, cue.end)
            if bare:
                value = parse_number(bare.group("number"))
                if value is not None:
                    found.append(Candidate(value, facts, cue.start, bare.end(), 0.9, update))
        nones = [(c.start, c.end) for c in facts.cues.get("no_casualties", []) + facts.cues.get(f"no_{kind}", [])]
        nones += [m.span() for m in finditer_if(_NO_LOSSES_RE, facts.normalized, _LOSS_VERBS)]
        if kind == "injured":
            nones += [m.span() for m in finditer_if(_NOBODY_HURT_RE, facts.normalized, ("يصب", "يصاب", "تصب"))]
        else:
            nones += [m.span() for m in finditer_if(_NO_DEATHS_RE, facts.normalized, ("وفيات", "وفاه", "قتلي", "قتيل"))]
        for start, end in nones:
            # "no losses among the coalition's ranks" says nothing about the other victims.
            if _RESTRICTED_NONE_RE.match(facts.normalized, end):
                continue
            found.append(Candidate(0, facts, start, end, 0.8, update))
    found.sort(key=lambda c: (c.facts.sentence.index, c.start))
    positive = [c for c in found if c.value]
    if positive:
        # A report of victims outweighs a "no casualties" unless that comes later as an update.
        last_positive = max(c.facts.sentence.index for c in positive)
        found = [c for c in found if c.value or (c.update and c.facts.sentence.index > last_positive)]
    return found


def _coordinated_run(normalized: str, quantities: list[Quantity]) -> list[Quantity]:
    run = [quantities[0]]
    for quantity in quantities[1:]:
        gap = normalized[run[-1].end:quantity.start]
        if re.fullmatch(r"[\s\w]{0,12}?\s*و\s*", gap) or re.fullmatch(r"\s*(?:,|و)\s*", gap):
            run.append(quantity)
        else:
            break
    return run


def _casualty_noun_value(found: re.Match) -> int | None:
    noun = found.group("noun")
    if noun in _DUAL_CASUALTY:
        return 2
    number = found.group("number")
    if number:
        value = parse_number(number)
        if value is not None:
            return value
    return 1 if noun in _SINGLE_CASUALTY else None
