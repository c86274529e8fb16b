"""What was hit: the target an attack's sentences name, else the kind of place hit, else the
victims' role; and whether property was damaged. Rules: docs/extraction.md, section 5."""

from __future__ import annotations

import re

from incidents.arabic.casualties import CASUALTY_WINDOW_CHARS
from incidents.arabic.facts import Candidate, SentenceFacts, search_if
from incidents.arabic.lexicon import TargetTerm, victim_roles
from incidents.arabic.numbers import noun_lemma
from incidents.arabic.scene import launch_places

# "مناطق تخضع لسيطرة التنظيم": control, not a checkpoint (سيطرة in Iraqi usage).
_UNDER_CONTROL_RE = re.compile(r"(?<!\w)(?:تخضع|يخضع|خاضعه|الخاضعه|تحت|بسط|فرض|فرضت|استعاده|استعادت)\s+\S*سيطره")
_DEFINITE_VICTIM_RE = re.compile(r"(?<!\w)ال(\w+)")
# The body a counted person belongs to, right after the noun: رجال الشرطة، عناصر الأمن.
_BODY_AFTER_RE = re.compile(r"\s+ال(\w+)(?!\w)")
# "17 قتيلا غالبيتهم من المدنيين": who most (or all) of the victims counted just before were.
_MOSTLY_AFTER_RE = re.compile(r"\s*[,]?\s*(?:غالبيتهم|معظمهم|اغلبهم|جميعهم|كلهم)\s+(?:من\s+)?(ال\w+)(?!\w)")
_WHILE_CLAUSE_RE = re.compile(r"(?<!\w)(?:بينما|فيما|في وقت|حين|عندما)\s+(?:كان|كانت)(?!\w)")
# "مقار عسكرية في محيط المدينة تعرضت لقصف": what was hit is the subject of "was subjected to",
# before its verb (in the same clause: no comma, no full stop between, at most this far).
_SUBJECTED_RE = re.compile(r"(?<!\w)[وف]?(?:تعرض|تعرضت|تعرضا|تعرضتا|يتعرض|تتعرض|تعرضوا)(?!\w)")
_SUBJECT_CHARS = 80
_RELATIVE_BEFORE_RE = re.compile(r"(?<!\w)(?:التي|الذي|اللتين|اللذين|الذين|اللواتي)\s+$")
_PRONOUN_AFTER_RE = re.compile(r"\s+(?:له|لها|لهم|لهما)(?!\w)")
# Where people live, hit (قذائف سقطت على قرية، في بلدة كلس، ببلدة قرقميش; تتعرض قرى … لقصف):
# civilians were targeted, when the report names no target, no site and no victims. Only right
# after the preposition of the fall or the verb of the shelling: "near a village" (قرب قرية) only
# locates a site, and "from a village" (انطلقت من قرية) is where the fire came from.
_PEOPLED_RE = re.compile(
    r"(?:(?<!\w)(?:علي|في|الي|داخل)\s+|(?<!\w)[وف]?ب|(?<!\w)[وف]?(?:تعرضت|تتعرض|تعرض)\s+)"
    r"(?:ال)?(?:قريه|قري|قريتين|بلده|بلدات|بلدتي|بلدتين|مناطق سكنيه|منطقه سكنيه|احياء سكنيه|المناطق السكنيه"
    r"|المناطق الاهله|مناطق اهله|منازل المدنيين|بيوت المدنيين)(?!\w)")
_PEOPLED_NEEDLES = ("قري", "بلد", "سكني", "اهله", "المدنيين")


def target_of(sentences: list[SentenceFacts], place: Candidate | None) -> Candidate | None:
    named: list[Candidate] = []
    for facts in sentences:
        # What was hit follows the verb or noun of the attack (a ministry that announced it
        # precedes), and is not in a "while X was ..." clause about something else.
        action = min((c.start for c in facts.event_verbs + facts.attack_nouns + facts.weapons), default=0)
        aside = _WHILE_CLAUSE_RE.search(facts.normalized, action)
        aside_start = aside.start() if aside else len(facts.normalized)
        # "أطلق من منطقة معسكر الرشيد": a camp the rockets came from is no target.
        launched_from = [(p.start, p.end) for p in launch_places(facts)] if facts.launch_cues else []
        named += [Candidate(t.payload, facts, t.start, t.end, 0.75)
                  for t in facts.targets if (action <= t.start < aside_start or _subject_of_subjected(facts, t.end))
                  and not any(start <= t.start < end for start, end in launched_from)
                  and not _UNDER_CONTROL_RE.search(facts.normalized[max(0, t.start - 12):t.end])]
    if named:
        return named[0]
    # A place that is a target in itself (a base, an airport, an oil field, the Green Zone with the
    # seat of government): the gazetteer's target_type, when nothing more precise is named.
    if place is not None and place.value.target_type:
        return Candidate(TargetTerm(place.value.target_type, place.value.name_en), place.facts, place.start,
                         place.end, 0.6)
    roles = victim_roles()
    for facts in sentences:
        for quantity in facts.quantities:
            if quantity.category != "person" or _tells_it(facts, quantity.start):
                continue
            # "ثمانية من رجال الشرطة": the men of a body have its role, not a man's.
            body = _BODY_AFTER_RE.match(facts.normalized, quantity.end)
            if body and body.group(1) in roles:
                return Candidate(TargetTerm(roles[body.group(1)], body.group(1)), facts, quantity.start,
                                 body.end(), 0.5)
            mostly = _MOSTLY_AFTER_RE.match(facts.normalized, quantity.end)
            if mostly and noun_lemma(mostly.group(1)) in roles:
                lemma = noun_lemma(mostly.group(1))
                return Candidate(TargetTerm(roles[lemma], lemma), facts, mostly.start(1), mostly.end(1), 0.5)
            if quantity.lemma in roles:
                return Candidate(TargetTerm(roles[quantity.lemma], quantity.lemma), facts, quantity.start,
                                 quantity.end, 0.5)
    for facts in sentences:
        # "اغتيال المحلل السياسي": the one victim, named by his role with the article.
        for cue in facts.cues.get("killed", []):
            for victim in _DEFINITE_VICTIM_RE.finditer(facts.normalized, cue.end, cue.end + CASUALTY_WINDOW_CHARS):
                if victim.group(1) in roles:
                    return Candidate(TargetTerm(roles[victim.group(1)], victim.group(1)), facts, victim.start(1),
                                     victim.end(1), 0.5)
    for facts in sentences:
        action = min((c.start for c in facts.event_verbs + facts.attack_nouns + facts.weapons), default=None)
        if action is None:
            continue
        peopled = search_if(_PEOPLED_RE, facts.told, _PEOPLED_NEEDLES)
        if peopled is not None:
            return Candidate(TargetTerm("civilian", "populated area"), facts, peopled.start(), peopled.end(), 0.45)
    return None


def _tells_it(facts: SentenceFacts, start: int) -> bool:
    """"ذكر مسؤول محلي أن …": the person right after a verb of saying tells of the attack."""
    return any(0 <= start - cue.end <= 2 for cue in facts.cues.get("report_verb", []))


def _subject_of_subjected(facts: SentenceFacts, end: int) -> bool:
    """The target named just before "was subjected to" in its clause (مقار عسكرية … تعرضت لقصف)."""
    if "تعرض" not in facts.normalized:
        return False
    verb = _SUBJECTED_RE.search(facts.normalized, end, end + _SUBJECT_CHARS)
    # "الإصابات التي تعرض لها الجنود": a relative clause, whose subject comes after it.
    return verb is not None and not any(mark in facts.normalized[end:verb.start()] for mark in ",.") \
        and not _RELATIVE_BEFORE_RE.search(facts.normalized, 0, verb.start()) \
        and not _PRONOUN_AFTER_RE.match(facts.normalized, verb.end())


def damage_of(sentences: list[SentenceFacts]) -> Candidate | None:
    for facts in sentences:
        if facts.cues.get("no_damage"):
            cue = facts.cues["no_damage"][0]
            return Candidate(False, facts, cue.start, cue.end, 0.7)
        if facts.cues.get("damage"):
            cue = facts.cues["damage"][0]
            return Candidate(True, facts, cue.start, cue.end, 0.7)
    return None
