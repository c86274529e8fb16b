"""Who claimed an attack, whether the claim was disowned, and who was blamed for it.

Rules: docs/extraction.md, section 5 (تبنت / أعلنت مسؤوليتها, a state announcing its own strike,
لم تتبنه أي جهة, تبرأت, اتهمت / حمّلت ... مسؤولية).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from incidents.arabic.facts import SINGULAR_ATTACK_RE, TWO_ATTACKS_RE, Candidate, SentenceFacts, finditer_if, search_if
from incidents.arabic.lexicon import Match, actor_matcher

_QUOTED_NAME_RE = re.compile(r"(?:حركه|جماعه|فصيل|مجموعه|كتائب|سرايا|لواء|تنظيم)\s+\"([^\"]{2,40})\"")
# "حمّلت واشنطن كتائب حزب الله مسؤولية الهجوم": held responsible, with the one blamed in between.
HELD_RESPONSIBLE_RE = re.compile(r"(?<!\w)[وف]?(?:حمل|حملت|تحمل|يحمل|حملوا)\s+(?:\S+\s+){0,8}?مسؤوليه(?!\w)")
HELD_RESPONSIBLE_NEEDLES = ("مسؤوليه",)
# "فصيل يدعى \"…\""، "جماعة تطلق على نفسها اسم \"…\"": a group named by what it calls itself.
_CALLED_RE = re.compile(r"(?:يدعي|تدعي|باسم|اسم)\s+\"([^\"]{2,60})\"")
_HABIT_BEFORE_RE = re.compile(r"(?<!\w)[وف]?(?:غالبا|عاده|كثيرا|دائما)\s+(?:ما\s+)?$")
_MANY_AFTER_RE = re.compile(r"(?:\s+\S+){0,5}?\s+(?:اغلب|معظم|غالبيه|كل|مثل|الهجمات|هجمات|عمليات|العمليات)(?!\w)")
_NEGATED_RE = re.compile(r"(?<!\w)(?:لم|لا|دون|بدون)\s*$")
_CLAIM_RE = re.compile(r"(?<!\w)[وف]?(?:اعلن|اعلنت|اعلنوا)\s+(?:\S+\s+){0,9}?(?:مسؤوليته|مسؤوليتها|مسؤوليتهم|تبنيه|تبنيها)(?!\w)")
# "أعلن الحرس الثوري صباح الأحد الباكر في بيان مقتضب، أن قواته استهدفت …"، "أعلن الحرس
# الثوري في بيان فجر الأربعاء أنه أطلق …"، "أعلن الحرس الثوري استهدافاً صاروخياً لقاعدة …": when
# and how it said so stand between the announcer and its strike.
_ANNOUNCED_STRIKE_RE = re.compile(
    r"(?<!\w)[وف]?(?:اعلن|اعلنت)\s+(?:\S+\s+){1,14}?(?:(?:انه|انها|انهم|ان\s+(?:قواته|قواتها|قواتنا))\s+)?"
    r"(?:استهدف|استهدفت|نفذ|نفذت|شن|شنت|قصف|قصفت|اطلق|اطلقت|تنفيذ|تحييد|استهداف|استهدافا)(?!\w)")
_ANOTHER_SUBJECT_RE = re.compile(r"(?<!\w)ان\s+(?!قواته|قواتها|قواتنا)\S")


def _actor_near(facts: SentenceFacts, cue: Match) -> Candidate | None:
    actors = actor_matcher().find_all(facts.normalized)
    after = [a for a in actors if a.start >= cue.end]
    before = [a for a in actors if a.end <= cue.start]
    chosen = after[0] if after else (before[-1] if before else None)
    if chosen is not None:
        return Candidate(chosen.payload, facts, chosen.start, chosen.end, 0.8)
    quoted = _QUOTED_NAME_RE.search(facts.normalized, cue.start)
    if quoted:
        span = facts.original_span(quoted.start(1), quoted.end(1))
        name = facts.sentence.text[span[0] - facts.sentence.start:span[1] - facts.sentence.start]
        return Candidate(name, facts, quoted.start(1), quoted.end(1), 0.6)
    return None


def _actor_within(facts: SentenceFacts, start: int, end: int) -> Candidate | None:
    actor = next((a for a in actor_matcher().finditer(facts.normalized[start:end])), None)
    if actor is not None:
        return Candidate(actor.payload, facts, start + actor.start, start + actor.end, 0.8)
    quoted = re.search(r"\"([^\"]{2,40})\"", facts.normalized[start:end])
    if quoted:
        span = facts.original_span(start + quoted.start(1), start + quoted.end(1))
        name = facts.sentence.text[span[0] - facts.sentence.start:span[1] - facts.sentence.start]
        return Candidate(name, facts, start + quoted.start(1), start + quoted.end(1), 0.6)
    return None


def _habitual(normalized: str, cue: Match) -> bool:
    """A claim in the present of a habit ("غالباً ما يتبنى"، "وتتبنى فصائل … أغلب تلك الهجمات")."""
    if not cue.phrase.startswith(("يتبن", "تتبن")):
        return False
    return bool(_HABIT_BEFORE_RE.search(normalized, max(0, cue.start - 16), cue.start)
                or _MANY_AFTER_RE.match(normalized, cue.end))


def _named_next(analysed: list[SentenceFacts], facts: SentenceFacts) -> Candidate | None:
    """"وتبنت جماعة مسلحة جديدة الهجوم. وقال فصيل يدعى \"…\" في بيان …": the claimant the claim
    did not name, named by the sentence right after it."""
    following = next((f for f in analysed if f.sentence.index == facts.sentence.index + 1), None)
    if following is None:
        return None
    actor = next(iter(actor_matcher().finditer(following.normalized)), None)
    if actor is not None:
        return Candidate(actor.payload, following, actor.start, actor.end, 0.7)
    named = _CALLED_RE.search(following.normalized)
    if named is None:
        return None
    span = following.original_span(named.start(1), named.end(1))
    name = following.sentence.text[span[0] - following.sentence.start:span[1] - following.sentence.start]
    return Candidate(name, following, named.start(1), named.end(1), 0.6)


def responsibility(analysed: list[SentenceFacts], own_sentences: list[SentenceFacts], primary: bool,
                   elsewhere: Callable[[SentenceFacts], bool], two_attacks: bool = False):
    """Claims, disowned claims and accusations about this attack (not attacks in general).

    ``own_sentences`` tell the attack; ``primary`` says it is the article's news; ``elsewhere``
    says a sentence is about another attack of the same article (it names only other scenes);
    ``two_attacks`` that the article reports two, so that "the two bombings" are this one too.
    """
    own = {id(f) for f in own_sentences}
    claim = accused = disowned = None
    for facts in analysed:
        about_this = id(facts) in own or (
            primary and not facts.is_aggregate
            and (SINGULAR_ATTACK_RE.search(facts.normalized) or (two_attacks and TWO_ATTACKS_RE.search(facts.normalized)))
            and not (facts.is_background and facts.is_attack)
        )
        if not about_this:
            continue
        if id(facts) not in own and elsewhere(facts):
            continue  # "the attack on al-Omar" is not about the attack on Conoco
        for cue in facts.cues.get("claim", []):
            if _habitual(facts.normalized, cue):
                continue  # "وغالباً ما يتبنى التنظيم هجمات كهذه": what a group usually claims
            if not _NEGATED_RE.search(facts.normalized[max(0, cue.start - 6):cue.start]):
                claim = claim or _actor_near(facts, cue) or _named_next(analysed, facts)
        for found in finditer_if(_CLAIM_RE, facts.normalized, ("مسؤوليت", "تبني")):
            claim = claim or _actor_within(facts, found.start(), found.end())
        for cue in facts.cues.get("disown", []):
            disowned = disowned or Candidate(True, facts, cue.start, cue.end, 0.7)
        for cue in facts.cues.get("accuse", []):
            accused = accused or _actor_near(facts, cue)
        for found in finditer_if(HELD_RESPONSIBLE_RE, facts.normalized, HELD_RESPONSIBLE_NEEDLES):
            accused = accused or _actor_within(facts, found.start(), found.end())
    for facts in analysed:
        if not primary or facts.is_background or (id(facts) not in own and elsewhere(facts)):
            continue
        # A state announcing its own strike (أعلن الحرس الثوري أنه استهدف) claims it, in the
        # sentence that reports it or in a statement further down.
        for found in finditer_if(_ANNOUNCED_STRIKE_RE, facts.normalized, ("اعلن",)):
            if _ANOTHER_SUBJECT_RE.search(found.group()):
                continue  # "أعلن البنتاغون أن إيران أطلقت …": one state telling of another's strike
            claim = claim or _actor_within(facts, found.start(), found.end())
    return claim, disowned if claim else None, accused
