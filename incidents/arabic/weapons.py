"""Weapons: the terms a sentence names, the weapon of an attack, and its projectile count.

Rules and the real reporting they serve: docs/extraction.md, section 5.
"""

from __future__ import annotations

import re

from incidents.arabic.facts import Candidate, SentenceFacts
from incidents.arabic.lexicon import Match, WeaponTerm, weapon_matcher

# "بطائرة مسيرة وليس بصواريخ": a weapon the sentence denies was used.
_DENIED_BEFORE_RE = re.compile(r"(?<!\w)(?:وليس|ليس|وليست|ليست|لا|ولا|بدلا من|بدل)\s*$")
# "صواريخ من طراز فاتح": a missile's name qualifies the rocket word just before it.
_QUALIFIED_GAP_RE = re.compile(r"^\s*(?:\S+\s+){0,3}?$")
_MODEL_WORD_RE = re.compile(r"(?<!\w)(?:طراز|نوع)\s*$")
# "خلايا الكاتيوشا" (Katyusha cells): the militias named after what they fire, not a weapon used.
_GROUP_BEFORE_RE = re.compile(r"(?<!\w)[وفبل]?(?:ال)?(?:خلايا|خليه|مجاميع|عصابات)\s*$")
# "فصائل مدعومة من الحرس الثوري": the state is named as a backer, not as the one that fired.
_BACKER_BEFORE_RE = re.compile(r"(?<!\w)(?:من|ل|مدعومه|المدعومه|موالي\S*|مقرب\S*|تابع\S*)\s*$")
# "انطلقوا في مسيرة كبيرة" (they set off in a big march): مسيرة alone is a drone in attack reports
# and a march in reports of a rally, told by the march's adjective or its marchers' verb.
_MARCH_AFTER_RE = re.compile(r"\s+(?:[وف]?(?:ال)?(?:كبيره|حاشده|شعبيه|جماهيريه|احتجاجيه|سلميه|راجله|تضامنيه|غاضبه))(?!\w)")
_MARCH_BEFORE_RE = re.compile(
    r"(?<!\w)[وف]?(?:خرج|خرجوا|خرجت|انطلق|انطلقوا|انطلقت|شارك|شاركوا|شاركت|نظم|نظموا|نظمت|سار|ساروا)\s+(?:في\s+)?$")
_ROCKET_DETAILS = {"Katyusha", "Grad"}
_NUMBER_IN_TEXT_RE = re.compile(r"\d|واحد")
_WEAPON_SPECIFICITY = {"missile": 0, "drone": 1, "ied": 2, "mortar": 3, "airstrike": 4, "rocket": 5, "gunfire": 6}


# "غارة بطائرة مسيرة"، "ثلاث غارات تركية بطائرات دون طيار"، "ضربة لطائرة مسيرة": a strike word
# followed by the drone that made it (بـ / لـ, at most one word between) names the drone's strike.
_INSTRUMENT_GAP_RE = re.compile(r"^\s+(?:[^\W\d]+\s+)?[بل]")


def valid_weapons(normalized: str, attack_nouns: list[Match]) -> list[Match]:
    """Weapon terms; an adjective (صاروخي) counts only right after an attack noun (هجوم صاروخي),
    a missile's name (فاتح) only after a rocket word or طراز, and then in that word's place; a
    weapon the sentence denies (وليس بصواريخ) or that names a group (خلايا الكاتيوشا) does not count; a strike word followed by the drone
    that made it (غارة بطائرة مسيرة) is the drone's strike, not an airstrike."""
    valid = []
    for match in weapon_matcher().finditer(normalized):
        term = match.payload
        if term.adjective:
            if not any(0 <= match.start - noun.end <= 2 for noun in attack_nouns):
                continue
        if term.qualifier:
            qualified = next((v for v in reversed(valid) if v.payload.weapon_type == "rocket"
                              and _QUALIFIED_GAP_RE.match(normalized[v.end:match.start])), None)
            if qualified is not None:
                valid.remove(qualified)
            elif not _MODEL_WORD_RE.search(normalized[max(0, match.start - 8):match.start]):
                continue
        if _DENIED_BEFORE_RE.search(normalized[max(0, match.start - 10):match.start]) \
                or _GROUP_BEFORE_RE.search(normalized[max(0, match.start - 10):match.start]):
            continue
        if _is_march(normalized, match):
            continue
        if term.weapon_type == "drone" and valid and valid[-1].payload.weapon_type == "airstrike" \
                and _INSTRUMENT_GAP_RE.match(normalized[valid[-1].end:match.start + 1]):
            valid.pop()
        valid.append(match)
    return valid


def _is_march(normalized: str, match: Match) -> bool:
    """"مسيرة" alone, as a march: a rally's adjective after it or its marchers' verb before it."""
    if match.phrase not in ("مسيره", "مسيرات"):
        return False
    return bool(_MARCH_AFTER_RE.match(normalized, match.end)
                or _MARCH_BEFORE_RE.search(normalized, max(0, match.start - 20), match.start))


def _state_launched(sentences: list[SentenceFacts]) -> Candidate | None:
    """A state's forces named, beside the rockets, as the ones that fired (الحرس الثوري، أطلقت
    إيران): their rockets are ballistic or cruise missiles, not a militia's rockets."""
    lead = sentences[0].context or sentences[0]
    if any(m.payload.detail in _ROCKET_DETAILS for m in lead.weapons + sentences[0].weapons):
        return None  # the report opens with Katyushas or Grads: a militia's rockets
    told = sentences + [facts.context for facts in sentences if facts.context is not None]
    for facts in told:
        fired = [match.payload for match in facts.weapons if match.payload.weapon_type in ("rocket", "missile")]
        if not fired or any(term.detail in _ROCKET_DETAILS for term in fired):
            continue  # a state named beside no rockets, or beside a militia's Katyushas, fired none of them
        for cue in facts.cues.get("state_launcher", []):
            if not _BACKER_BEFORE_RE.search(facts.normalized[max(0, cue.start - 10):cue.start]):
                return Candidate("missile", facts, cue.start, cue.end, 0.7)
    return None


_BOMBING_NOUN_RE = re.compile(r"^[وفبل]?(?:ال)?تفجير")
_BOMB = WeaponTerm("ied", None, adjective=False)


def _bombings(sentences: list[SentenceFacts]) -> list[Candidate]:
    """"التفجيرين اللذين ضربا بغداد": a bombing that names no other weapon was a bomb."""
    return [Candidate(_BOMB, facts, noun.start, noun.end, 0.6)
            for facts in sentences for noun in facts.attack_nouns if _BOMBING_NOUN_RE.match(noun.phrase)]


def weapon_of(sentences: list[SentenceFacts]) -> tuple[Candidate | None, Candidate | None]:
    """The weapon most of the mention's sentences name; ties to the more specific class."""
    typed: list[Candidate] = []
    for facts in sentences:
        for match in facts.weapons:
            typed.append(Candidate(match.payload, facts, match.start, match.end, 0.8))
    if not typed:
        # A clause that goes on from the one before (…، وقاعدة الشدادي) was hit with its weapon.
        for facts in sentences:
            for match in facts.context.weapons if facts.context is not None else ():
                typed.append(Candidate(match.payload, facts.context, match.start, match.end, 0.7))
    typed = [c for c in typed if c.value.weapon_type != "unknown"] or typed
    if not typed:
        typed = _bombings(sentences)
    if not typed:
        return None, None
    sentences_naming: dict[str, set[int]] = {}
    for candidate in typed:
        sentences_naming.setdefault(candidate.value.weapon_type, set()).add(candidate.facts.sentence.index)
    lead = sentences[0].sentence.index

    def votes(weapon: str) -> int:
        # The sentence that reports the attack counts twice: later ones add context.
        return len(sentences_naming[weapon]) + (lead in sentences_naming[weapon])

    chosen_type = min(sentences_naming, key=lambda w: (-votes(w), _WEAPON_SPECIFICITY.get(w, 9)))
    # A later sentence that corrects the first report (تبين، اتضح، لاحقا) names the weapon used.
    corrected = [c for c in typed if c.facts.sentence.index != lead
                 and (c.facts.has("correction") or c.facts.has("update")) and c.value.weapon_type != chosen_type]
    if corrected:
        chosen_type = min((c.value.weapon_type for c in corrected), key=lambda w: _WEAPON_SPECIFICITY.get(w, 9))
    first = next(c for c in typed if c.value.weapon_type == chosen_type)
    kind = Candidate(chosen_type, first.facts, first.start, first.end, 0.8)
    detailed = next((c for c in typed if c.value.detail and c.value.weapon_type == chosen_type), None)
    detail = Candidate(detailed.value.detail, detailed.facts, detailed.start, detailed.end, 0.8) if detailed else None
    if chosen_type == "rocket":
        state = _state_launched(sentences)
        if state is not None:
            return state, Candidate("state missile strike", state.facts, state.start, state.end, 0.7)
    return kind, detail


# A salvo counted over two targets at once: على القاعدتين، على قاعدتي عين الأسد وأربيل، على الموقعين.
_TWO_TARGETS_AFTER_RE = re.compile(
    r"(?:\s+\S+){0,3}?\s+(?:علي|الي|باتجاه|نحو)\s+(?:ال)?(?:قاعدتين|قاعدتي|موقعين|موقعي|هدفين|مدينتين|مطارين|مطاري)(?!\w)")

# Rockets found before they were fired: "7 صواريخ كانت معدة للإطلاق"، "صاروخين جاهزين للإطلاق".
_UNFIRED_AFTER_RE = re.compile(
    r"[\s\"]*(?:\S+\s+){0,2}?(?:كانت\s+|كانا\s+|كان\s+)?"
    r"(?:معده|معدين|معدان|معدا|مجهزه|مجهزين|مجهزان|مجهزا|جاهزه|جاهزين|جاهزان)\s+لل?اطلاق(?!\w)")


def unfired(normalized: str, end: int) -> bool:
    """Whether the weapon or count ending at ``end`` was found before it was fired."""
    return _UNFIRED_AFTER_RE.match(normalized, end) is not None


def projectile_count(sentences: list[SentenceFacts], weapon_type: str | None) -> Candidate | None:
    """The largest total of this weapon's projectiles. A bomb is not a projectile, and a drone
    that strikes (مسيرة تركية استهدفت سيارة) carries its munition: a noun in the singular with
    no number (عبوة ناسفة، طائرة مسيرة) is a count only for a one-way drone, explosive-laden or
    brought down, never a guess."""
    one_way = weapon_type == "drone" and any(
        facts.has("intercept") or any(m.payload.detail == "explosive-laden drone" for m in facts.weapons)
        for facts in sentences)
    candidates = []
    for facts in sentences:
        for quantity in facts.quantities:
            if quantity.category != "projectile" or quantity.vague or quantity.partitive or quantity.value is None:
                continue
            if weapon_type in ("ied", "drone") and not one_way and _bare_singular(quantity):
                continue
            # A count names this weapon, or is of shells when the weapon is a shell-firing one.
            if quantity.weapon != weapon_type and not (
                    quantity.weapon is None and weapon_type in ("rocket", "mortar", "unknown")) \
                    and not (quantity.weapon == "rocket" and weapon_type == "missile"):
                continue
            if _TWO_TARGETS_AFTER_RE.match(facts.normalized, quantity.end):
                continue  # "أكثر من 12 صاروخا على القاعدتين": a total over two attacks, not this one's
            if unfired(facts.normalized, quantity.end):
                continue  # "وضبط 7 صواريخ كانت معدة للإطلاق": seized before they were fired
            candidates.append(Candidate(quantity.value, facts, quantity.start, quantity.end, 0.85))
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.value, -c.facts.sentence.index))


def _bare_singular(quantity) -> bool:
    return quantity.value == 1 and not _NUMBER_IN_TEXT_RE.search(quantity.text)
