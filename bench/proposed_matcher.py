"""The fix proposed for extraction's hot spot, measured by ``run_all.py`` beside the current code.

``incidents.arabic.lexicon.PhraseMatcher`` compiles a lexicon into one alternation with a
branch per phrase (several hundred for the gazetteer). Python's regex engine tries every branch
at every word start, so ``finditer`` is about 85% of extraction time. Here the same phrases are
factored into a trie (one branch per distinct next character), which finds where a phrase may
start; the original alternation is then tried at those positions only, so the phrase chosen,
its span and its payload are exactly those of the current matcher. Delete this file once the
change is in ``incidents/arabic/lexicon.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from incidents.arabic.lexicon import Match, PhraseMatcher


def _trie(words: list[str]) -> dict:
    root: dict = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return root


def _trie_pattern(node: dict) -> str:
    branches = [(r"\s+" if char == " " else re.escape(char)) + _trie_pattern(child)
                for char, child in sorted(node.items()) if char]
    if "" in node:
        branches.append("")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


class TriePhraseMatcher(PhraseMatcher):
    """``PhraseMatcher`` with the same matches, found through a prefix-factored regex."""

    def __init__(self, entries: dict[str, object], **options):
        super().__init__(entries, **options)
        # Where any phrase could start: up to three clitics (و ف ب ل ك, which covers لل), an
        # optional ال, then a phrase or a phrase without its ال. This accepts every string the
        # full alternation accepts (and a few more), so no match is missed.
        forms = set(self.entries) | {p[2:] for p in self.entries if p.startswith("ال")}
        self._starts = re.compile(rf"(?<!\w)[وفبلك]{{0,3}}(?:ال)?{_trie_pattern(_trie(sorted(forms)))}(?!\w)") \
            if forms else None

    def finditer(self, text: str) -> Iterator[Match]:
        if self._starts is None:
            return
        position = 0
        while (start := self._starts.search(text, position)) is not None:
            found = self._regex.match(text, start.start())
            if found is None:  # a start the full alternation does not accept: look further
                position = start.start() + 1
                continue
            phrase = self._groups[found.lastgroup]
            yield Match(found.start(), found.end(), phrase, self.entries[phrase])
            position = found.end()


def install() -> None:
    """Makes every matcher built from now on a ``TriePhraseMatcher`` (for a benchmark process)."""
    from incidents.arabic import gazetteer, lexicon

    lexicon.PhraseMatcher = TriePhraseMatcher
    gazetteer.PhraseMatcher = TriePhraseMatcher
    for cached in (lexicon.cue_matcher, lexicon.weapon_matcher, lexicon.target_matcher, lexicon.actor_matcher,
                   gazetteer.place_matcher):
        cached.cache_clear()
