"""Mentions: which attack sentences of an article report which attack.

The article's first primary attack sentence (in the lead, or dated, or with a "today" word)
opens the primary mention; later attack sentences join the attack the article talked about last,
unless they name another scene, another day, another weapon after "on another front", or are
told as the attack this one came shortly after: then they open another mention, or go back to
an attack already reported at that scene. Background sentences with a written date become
background mentions. Rules: docs/extraction.md, section 4.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from incidents.arabic.casualties import reports_casualties
from incidents.arabic.claims import HELD_RESPONSIBLE_NEEDLES, HELD_RESPONSIBLE_RE
from incidents.arabic.facts import SentenceFacts, search_if
from incidents.arabic.scene import different_scenes, impact_places, names_an_actor, scene_of

LEAD_PARAGRAPHS = 3
# A day named this near a sentence's start is the day of its verb (وقتل الإثنين، ومساء الأحد سقطت).
_OPENING_CHARS = 16
# "وفي وقت سابق من ليل الأربعاء، أصابت صواريخ مماثلة المعسكر": "earlier" before the day still opens
# the sentence with it.
_EARLIER_OPENING_RE = re.compile(r"[وف]?في وقت سابق(?: من)?\s+")
# "وكان الحقل قد تعرض إلى هجوم يوم الأربعاء": the pluperfect opening a sentence tells the story's past.
_PLUPERFECT_OPENING_RE = re.compile(r"[وف]?كان(?:ت|وا)?\s+(?:\S+\s+){0,8}?قد\s")
_RELATIVE_RE = re.compile(r"(?<!\w)(?:الذي|التي)(?!\w)")
_DEFINITE_RE = re.compile(r"(?:[وف]?(?:ب|ك)?ال|[وف]?لل)")


@dataclass
class MentionDraft:
    role: str
    sentences: list[SentenceFacts]
    _scene: object = None
    _sentences_scanned: int = 0
    _weapon_types: set[str] = field(default_factory=set)
    _weapons_scanned: int = 0
    _days: set = field(default_factory=set)
    _days_scanned: int = 0
    # The attack told as having come shortly after this one: this one's time is that one's.
    same_time_as: "MentionDraft | None" = None

    @property
    def scene(self):
        """The attack's place: the first sentence that names one fixes it, so each sentence is
        looked at once however long the article."""
        if self._scene is None and self._sentences_scanned < len(self.sentences):
            self._scene = scene_of(self.sentences[self._sentences_scanned:])
            self._sentences_scanned = len(self.sentences)
        return self._scene

    @property
    def weapon_types(self) -> set[str]:
        """The weapons its sentences name, each sentence looked at once."""
        for facts in self.sentences[self._weapons_scanned:]:
            self._weapon_types |= _weapon_types(facts)
        self._weapons_scanned = len(self.sentences)
        return self._weapon_types

    @property
    def days(self) -> set:
        """The days its sentences name."""
        for facts in self.sentences[self._days_scanned:]:
            self._days |= {d.date for d in facts.dates if d.date is not None}
        self._days_scanned = len(self.sentences)
        return self._days

    @property
    def first(self) -> SentenceFacts:
        return self.sentences[0]


def _date_key(facts: SentenceFacts) -> tuple | None:
    for mention in facts.dates:
        if mention.kind == "explicit" and mention.month and mention.day:
            return (mention.month, mention.day)
    return None


def group_mentions(analysed: list[SentenceFacts]) -> list[MentionDraft]:
    drafts: list[MentionDraft] = []
    primaries: list[MentionDraft] = []
    last_told: MentionDraft | None = None  # the primary attack the article talked about last
    vetoed: set[str] = set()  # weapons the article told of as debris, a test or a drill
    for facts in analysed:
        if facts.has("veto"):
            vetoed |= _weapon_types(facts)
        if facts.is_attack and _only_the_vetoed_weapon(facts, vetoed):
            continue  # "صور للصاروخ الذي سقط …" after debris of a missile: that missile again
        if not facts.is_attack:
            if primaries and not facts.is_background and not facts.is_aggregate \
                    and (reports_casualties(facts) or _tells_launch_site(facts)) \
                    and not _tells_another_day(facts, last_told):
                last_told.sentences.append(facts)  # a toll, an update or where it came from
            continue
        if facts.is_background:
            # A recalled attack is placed by a written date; "today" in its sentence is the report's.
            if any(d.month and d.kind in ("explicit", "period") for d in facts.dates):
                drafts.append(MentionDraft("background", [facts]))
            continue
        scene = scene_of([facts])
        current = last_told
        if current is None:
            # The news is told in the lead; further down, only a dated report starts a mention.
            lead = facts.sentence.story_paragraph
            if lead < 2 or (lead < LEAD_PARAGRAPHS and facts.dates) \
                    or _dated_today(facts):
                current = last_told = MentionDraft("primary", [facts])
                primaries.append(current)
                drafts.append(current)
            continue
        other_day = _date_key(facts) and _date_key(current.first) and _date_key(facts) != _date_key(current.first)
        if other_day and not facts.has("separate"):
            continue  # a different day without a cue of a new attack: a recalled event, undated
        if facts.has("claim") or search_if(HELD_RESPONSIBLE_RE, facts.normalized, HELD_RESPONSIBLE_NEEDLES):
            continue  # who claimed or was blamed is read for every mention; it starts none
        if facts.precedes and current is not None:
            # An attack told by its time from the one just told (what that one came shortly after,
            # "minutes before the strike on the car …"): another attack, of the same time, unless
            # the article already reported it (its scene).
            told = next((d for d in primaries if d is not current and d.scene is not None
                         and not different_scenes(scene, d.scene)), None)
            if told is None:
                told = MentionDraft("primary", [], same_time_as=current)
                primaries.append(told)
                drafts.append(told)
            told.sentences.append(facts)
            last_told = told
            continue
        # "وقال مصدر أمني إن ..." tells the attack just reported in more detail, wherever it names.
        # Not when the sentence opens with a day of its own ("والاثنين، قال مسؤولون إن صواريخ سقطت
        # في قاعدة بلد"): that is another attack, told the same way.
        elaborates = bool(facts.cues.get("report_verb")) and facts.cues["report_verb"][0].start < 12 \
            and not any(d.start < facts.cues["report_verb"][0].start for d in facts.dates)
        other_place = (different_scenes(scene, current.scene) or _another_country(facts, current.scene)) \
            and not elaborates
        if other_place and not facts.has("separate") and _names_only_a_country(facts, current.scene):
            continue  # "… the bombings in Iran" beside this attack: another attack, too vague to report
        # "وعلى صعيد متصل، سقطت قذائف على بلدة …" after a drone strike: another attack.
        other_weapon = facts.has("separate") and facts.cues["separate"][0].start < 12 \
            and bool(current.weapon_types) and bool(_weapon_types(facts)) \
            and not (_weapon_types(facts) & current.weapon_types)
        if _recalls_an_earlier_day(facts, current):
            drafts.append(MentionDraft("background", [facts]))
            continue
        # "وقتل الإثنين قيادي … في قصف استهدف سيارة" in a report of Tuesday's strike: another attack.
        other_day = other_day or _opens_another_day(facts, current)
        if other_place or other_day or other_weapon:
            # Back to an attack the article already reports (its scene), wherever it is told.
            matching = None if other_day or other_weapon else next(
                (d for d in primaries if not different_scenes(scene, d.scene) and not _another_country(facts, d.scene)),
                None)
            if matching is not None:
                matching.sentences.append(facts)
                last_told = matching  # what follows, unless it names a place, tells of that attack
            elif facts.has("separate") or facts.sentence.paragraph < LEAD_PARAGRAPHS or _dated_today(facts):
                new_draft = MentionDraft("primary", [facts])
                primaries.append(new_draft)
                last_told = new_draft
                drafts.append(new_draft)
            # else: a late sentence about another place, with no cue of a new attack: not reported
        else:
            told = current
            named = [p.place for p in impact_places(facts) if p.place.precision in ("site", "district", "city")]
            if elaborates and different_scenes(scene, current.scene) \
                    and all(different_scenes(place, current.scene) for place in named):
                # A reporter's sentence about the other attack of the article is that attack's.
                told = last_told = next((d for d in primaries if not different_scenes(scene, d.scene)), current)
            elif elaborates and named and different_scenes(named[0], current.scene) \
                    and _names_only_in_relative_clause(facts, named[0], current.scene):
                # "قالت شبكات محلية إن مقار في محيط البوكمال تعرضت لقصف أيضاً، في الوقت الذي أعلن
                # فيه النظام عن قصف التيفور": the scene it names first is its own, the other a
                # reference in time; it is the attack at that scene, if the article reports it.
                told = last_told = next((d for d in primaries if d is not current and d.scene is not None
                                         and not different_scenes(named[0], d.scene)), current)
            told.sentences.append(facts)
    return drafts


def _names_only_in_relative_clause(facts: SentenceFacts, first, scene) -> bool:
    """Every place of ``scene`` the sentence names comes after a relative pronoun that follows its
    first place ("… البوكمال تعرضت لقصف، في الوقت الذي أعلن فيه النظام عن قصف التيفور")."""
    places = [p for p in impact_places(facts) if p.place.precision in ("site", "district", "city")]
    start = next(p.end for p in places if p.place is first)
    return all(_RELATIVE_RE.search(facts.normalized, start, p.start) for p in places
               if not different_scenes(p.place, scene))


def _tells_launch_site(facts: SentenceFacts) -> bool:
    """"وقالت الخلية إن الصاروخ أطلق من ساحة في منطقة …": where the weapon just told of came from."""
    return bool(facts.launch_cues and facts.weapons)


def _tells_another_day(facts: SentenceFacts, draft: MentionDraft) -> bool:
    """"وأمس الأحد، أعلن … في أعقاب مقتل 11 جنديا" after an attack of Monday: another day's toll."""
    days = {d.date for d in facts.dates if d.date is not None}
    return bool(days and draft.days) and not days & draft.days


def _opens_another_day(facts: SentenceFacts, draft: MentionDraft) -> bool:
    """An attack sentence that opens with a day of its own (its verb's: "وقتل الإثنين قيادي …"),
    none of whose days is one the attack told so far was given: it tells an attack of another day."""
    earlier = _EARLIER_OPENING_RE.match(facts.normalized)
    opening_chars = _OPENING_CHARS + (earlier.end() if earlier else 0)
    opening = [d for d in facts.dates if d.date is not None and d.precision == "day" and d.start < opening_chars]
    return bool(opening) and _tells_another_day(facts, draft)


def _recalls_an_earlier_day(facts: SentenceFacts, draft: MentionDraft) -> bool:
    """"وفي وقت سابق من ليل الأربعاء الفائت، أصابت صواريخ مماثلة المعسكر" in a report of Saturday's
    attack, "وكان الحقل قد تعرض إلى هجوم يوم الأربعاء" in a report of Friday's: an attack of an
    earlier day, recalled ("earlier today" is news, and dated today)."""
    days = [d.date for d in facts.dates if d.date is not None]
    if not days or not draft.days or max(days) >= min(draft.days):
        return False
    if _PLUPERFECT_OPENING_RE.match(facts.normalized):
        return True
    return bool(_EARLIER_OPENING_RE.match(facts.normalized)) and _opens_another_day(facts, draft)


def _only_the_vetoed_weapon(facts: SentenceFacts, vetoed: set[str]) -> bool:
    """An attack sentence that names only "the" weapon (الصاروخ، للصاروخ) of a kind the article
    told of as debris or a test, with no attack noun and no date: it tells of that weapon again."""
    if not vetoed or facts.attack_nouns or facts.dates or not facts.weapons:
        return False
    definite = all(_DEFINITE_RE.match(facts.normalized, w.start) for w in facts.weapons)
    return definite and _weapon_types(facts) <= vetoed


def _weapon_types(facts: SentenceFacts) -> set[str]:
    return {match.payload.weapon_type for match in facts.weapons} - {"unknown"}


def _another_country(facts: SentenceFacts, scene) -> bool:
    """"قتل 9 أشخاص في سوريا جراء غارة ..." in a report of an attack in Iraq: a country named as
    the place, other than the scene's, is another attack."""
    if scene is None or scene.country is None:
        return False
    countries = {p.place.country for p in impact_places(facts)
                 if p.place.country and not names_an_actor(facts.normalized, p)}
    return bool(countries) and scene.country not in countries


def _names_only_a_country(facts: SentenceFacts, scene) -> bool:
    """The sentence places its attack in another country by the country's name alone."""
    if scene is None or scene.country is None:
        return False
    elsewhere = [p.place for p in impact_places(facts) if p.place.country and p.place.country != scene.country
                 and not names_an_actor(facts.normalized, p)]
    return bool(elsewhere) and all(place.precision == "country" for place in elsewhere)


def _dated_today(facts: SentenceFacts) -> bool:
    return any(d.kind in ("relative", "weekday") for d in facts.dates)
