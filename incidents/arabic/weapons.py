"""Weapons: the terms a sentence names, the weapon of an attack, and its projectile count.

Rules and the real reporting they serve: docs/extraction.md, section 5.
"""

from __future__ import annotations

from incidents.arabic.facts import Candidate, SentenceFacts
from incidents.arabic.lexicon import Match, weapon_matcher

_WEAPON_SPECIFICITY = {"missile": 0, "drone": 1, "ied": 2, "mortar": 3, "airstrike": 4, "rocket": 5, "gunfire": 6}


def valid_weapons(normalized: str, attack_nouns: list[Match]) -> list[Match]:
    """Weapon terms; an adjective (صاروخي) counts only right after an attack noun (هجوم صاروخي)."""
    valid = []
    for match in weapon_matcher().finditer(normalized):
        if match.payload.adjective:
            if not any(0 <= match.start - noun.end <= 2 for noun in attack_nouns):
                continue
        valid.append(match)
    return valid


def weapon_of(sentences: list[SentenceFacts]) -> tuple[Candidate | None, Candidate | None]:
    """The weapon most of the mention's sentences name; ties to the more specific class."""
    typed: list[Candidate] = []
    for facts in sentences:
        for match in facts.weapons:
            typed.append(Candidate(match.payload, facts, match.start, match.end, 0.8))
    typed = [c for c in typed if c.value.weapon_type != "unknown"] or typed
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
    first = next(c for c in typed if c.value.weapon_type == chosen_type)
    kind = Candidate(chosen_type, first.facts, first.start, first.end, 0.8)
    detailed = next((c for c in typed if c.value.detail and c.value.weapon_type == chosen_type), None)
    detail = Candidate(detailed.value.detail, detailed.facts, detailed.start, detailed.end, 0.8) if detailed else None
    return kind, detail


def projectile_count(sentences: list[SentenceFacts], weapon_type: str | None) -> Candidate | None:
    candidates = []
    for facts in sentences:
        for quantity in facts.quantities:
            if quantity.category != "projectile" or quantity.vague or quantity.partitive or quantity.value is None:
                continue
            # A count names this weapon, or is of shells when the weapon is a shell-firing one.
            if quantity.weapon != weapon_type and not (
                    quantity.weapon is None and weapon_type in ("rocket", "mortar", "unknown")) \
                    and not (quantity.weapon == "rocket" and weapon_type == "missile"):
                continue
            candidates.append(Candidate(quantity.value, facts, quantity.start, quantity.end, 0.85))
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.value, -c.facts.sentence.index))
