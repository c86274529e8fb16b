"""Extract: the attacks an article reports, each field with the sentence that gave it.

How an article is read (the rules are in ``docs/extraction.md`` in plain words):

1. The text is split into sentences (spans of the original text) and each sentence is normalized
   for matching. A cheap trigger scan skips sentences with no attack vocabulary.
2. An *attack sentence* names a weapon or an attack (هجوم، قصف، استهداف ...) together with an
   event verb, a count of projectiles or a casualty statement; sport, prices, parades and drills
   veto it, and sentences about attacks in general (90 هجوما، مثل هذه الهجمات) are not events.
3. Each attack sentence is *primary* (the article's news) or *background* (an attack it recalls):
   background when a cue says so (وسبق أن، آخرها، الذكرى، الهجوم الأول ...) or its date lies more
   than three days before the publication date. Primary sentences form the article's primary
   mention; a new primary mention starts only for another place with a cue of a separate attack,
   or in the lead paragraphs. Background sentences with a date become background mentions.
4. Fields are read from the mention's sentences; each value keeps its sentence and span. Within an
   article, a statement introduced as an update (ولاحقاً، ارتفعت حصيلة) wins over earlier ones,
   otherwise the most explicit figure (digits, number words) wins over one read from a noun.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from incidents.arabic import dates as arabic_dates
from incidents.arabic.casualties import best, casualty_candidates
from incidents.arabic.claims import HELD_RESPONSIBLE_NEEDLES, HELD_RESPONSIBLE_RE, responsibility
from incidents.arabic.datelines import Dateline, dateline_of, is_caption
from incidents.arabic.facts import SINGULAR_ATTACK_RE, TWO_ATTACKS_RE, Candidate, SentenceFacts, plausible, search_if
from incidents.arabic.gazetteer import find_places, resolve_in_context
from incidents.arabic.lexicon import Match, cue_matcher, cue_matchers, target_matcher, weapon_matcher, word_alternation
from incidents.arabic.mentions import MentionDraft, group_mentions
from incidents.arabic.normalize import normalize
from incidents.arabic.numbers import find_quantities
from incidents.arabic.sentences import Sentence, split_sentences
from incidents.arabic.scene import different_scenes, impact_places, place_named_by_model, place_of
from incidents.arabic.targets import damage_of, target_of
from incidents.arabic.weapons import projectile_count, unfired, valid_weapons, weapon_of
from incidents.model import FieldValue, Mention

BACKGROUND_AFTER_DAYS = 3
ATTACHED_DATE_WINDOW_CHARS = 20
AFTERMATH_RELATIVE_WINDOW_CHARS = 40

# "نحو 90 هجوما": a tally of attacks (a year before the noun, "2020 هجوما صاروخيا", is a date).
_AGGREGATE_RE = re.compile(r"(?:(?<!\d)\d{1,3}(?!\d)|(?<!\w)\w+ين|عشرات|عده|عدد من)\s+(?:هجوما|هجمات|الهجمات|ضربه|ضربات)")
_PLUPERFECT_RE = re.compile(r"(?<!\w)[وف]?كان(?:ت|وا)?\s+(?:\S+\s+){0,8}?قد\s")
_INSTITUTION_BEFORE_RE = re.compile(r"(?<!\w)[وفبل]?(?:ال)?(?:جهاز|مديريه|قوات|وحده|وحدات|دائره|قياده|مكتب)\s+$")
# "قبل عامين"، "قبل سبع سنوات"، "قبل أسبوع": an attack told as that long ago is a recalled one.
_AGO_RE = re.compile(r"(?<!\w)قبل\s+(?:\S+\s+)?(?:سنوات|سنه|سنتين|عام|عامين|اعوام|اشهر|شهر|شهرين|شهور|اسبوع|اسبوعين|اسابيع)(?!\w)")
# "وجاء القصف بعد مقتل أمريكي في هجوم على قاعدة في كركوك"، "بعد يومين من الهجوم على …": what
# the news came after, or came days (or the day) after, is an earlier event.
_CAME_AFTER_RE = re.compile(
    r"(?P<came>(?<!\w)[وف]?(?:جاء|جاءت|ياتي|تاتي)\s+(?:\S+\s+){0,3}?"
    # "جاءت العملية لاستكمال الهجوم الذي …": what it followed up is an earlier attack too.
    r"(?:بعد|عقب|اثر|لاستكمال|استكمالا|لتكمله|تكمله|امتدادا|ردا|انتقاما)(?!\w))"
    r"|(?<!\w)(?:بعد|عقب)\s+(?:\S+\s+)?(?:يوم|يومين|ايام|اسبوع|اسبوعين|اسابيع|شهر|شهرين|اشهر)\s+(?:من|علي)(?!\w)"
    # "… غداة ضربة مشابهة أصابت عجلة يوم الأحد": the day after an earlier attack.
    r"|(?<!\w)غداه(?!\w)")
# "وجاء التفجير بعد ساعات من انفجار هز سوقاً …": what the news came shortly after is another
# attack of the same day, told as news too, not an earlier event the article recalls.
_SHORTLY_RE = re.compile(
    r"\s+(?:وقت\s+(?:قليل|قصير)|فتره\s+(?:قليله|قصيره)|قليل|دقائق|لحظات|ساعه|ساعات|ساعتين)\s+(?:من|علي)\s+")
_CAME_AFTER_NEEDLES = ("جاء", "ياتي", "تاتي", "بعد", "عقب", "غداه")  # every match holds one
# "وقبل استهداف الآلية بدقائق ضرب انفجار نقطة حراسة …": an attack told as minutes or hours
# before (or after) the one just reported is another attack of the same time.
_MINUTES_APART_RE = re.compile(
    r"^[وف]?(?:قبل|بعد)\s+(?:\S+\s+){1,3}?ب(?:بضع\s+|عده\s+)?(?:دقائق|دقيقه|دقيقتين|لحظات|ساعات|ساعه|ساعتين)(?!\w)")
_LANDMARK_BEFORE_RE = re.compile(r"(?<!\w)(?:بعد|عقب|اثر|منذ|ذكري|الذكري|موقع|مكان|ردا علي|رد علي|انتقاما ل|ثارا ل)\s*$")
# "أول رد انتقامي صاروخي من الحرس على عملية اغتيال …": the reply's words between رد and على.
_REPLY_TO_RE = re.compile(r"(?<!\w)(?:رد|ردا|الرد)\s+(?:\S+\s+){0,6}?علي\s+(?:عمليه\s+)?$")
_DAWN_AFTER_RE = re.compile(r"\s+(?:اليوم|امس|يوم|الاحد|الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه|السبت)(?!\w)")
# "ردا على التفجيرين"، "انتقاما للهجوم": an attack named as the motive of this one is another attack.
_MOTIVE_BEFORE_RE = re.compile(r"(?<!\w)(?:ردا|رد|جاءت ردا|وردا)\s+علي\s*$|(?<!\w)(?:انتقاما|ثارا)\s*$")
_FATE_RE = re.compile(r"(?<!\w)(?:قتلوا|قتلا|قتل|لقوا|فقدا|فقدوا|فقد|سقطوا|استشهدوا|استشهدا|ضحايا)(?!\w)")
_RELATIVE_CLAUSE_RE = re.compile(r"(?<!\w)(?:الذي|التي|اللذين|اللتين|اللذان|اللتان)(?!\w)")
_CLAUSE_RE = re.compile(r"[,;]\s*(?:فيما|بينما|في حين|في وقت|كما|مضيفا|مضيفه|واضاف|واضافت)(?!\w)")
# "… قاعدة عين الأسد، إضافة إلى قاعدة أخرى في أربيل": one more target of the same attack verb.
_ALSO_TARGET_RE = re.compile(r"[,;]?\s*(?:اضافه|بالاضافه|علاوه)\s+(?:الي|علي)(?!\w)")
# "على الطريق بين عربت والسليمانية": two places that bound one stretch of road or land, one scene.
# "بعد يومين من هجوم على قاعدة بلد، سقطت …": an earlier event named at the start as a landmark in time.
_OPENING_LANDMARK_RE = re.compile(
    r"\s*(?:بعد|عقب)\s+(?:(?:اقل|اكثر)\s+من\s+)?(?:\S+\s+)?"
    r"(?:يوم|يومين|ايام|اسبوع|اسبوعين|اسابيع|شهر|شهرين|اشهر|ساعات|ساعه|ساعتين)\s+(?:من|علي)(?!\w)")
_MAIN_CLAUSE_VERBS = ("event_verb", "report_verb", "killed", "injured")
# How far after the comma the main clause's verb may stand (a time word or two before it).
_MAIN_VERB_AFTER_COMMA_CHARS = 16
_BETWEEN_RE = re.compile(r"(?<!\w)(?:ما\s+)?بين\s+$")
# A weapon fired from somewhere, named right after it (one adjective between at most), not its
# model (من طراز، من نوع، من عيار) nor a part of a count (من أصل، من بينها) nor who fired it (من قبل).
_FROM_AFTER_WEAPON_RE = re.compile(
    r"(?:\s+(?!من(?!\w))[^\s,.]+)?\s+(?P<from>من)\s+(?!(?:طراز|نوع|عيار|اصل|بينها|بينهم|قبل|جهه|جانب\s+مجهول)(?!\w))"
    r"(?=(?:ال)?(?:جانب|اراضي|اراض|حدود|داخل|ناحيه|جهه|منطقه|مناطق|[^\s,.]+\s+(?:علي|الي|باتجاه|نحو)(?!\w)))")
_FIRED_WEAPONS = {"rocket", "mortar", "missile", "drone", "artillery"}
_TRIGGER_KINDS = ("attack_noun", "event_verb", "killed", "injured", "no_casualties", "no_killed", "no_injured",
                  "claim", "disown", "accuse")
# The cues read in every sentence that has a trigger (lexicons/cues.csv).
_SENTENCE_CUES = ("attack_noun", "event_verb", "background", "generic", "veto", "launch", "killed", "injured",
                  "no_casualties", "no_killed", "no_injured", "damage", "no_damage", "update", "claim", "disown",
                  "accuse", "intercept", "separate", "report_verb", "correction", "state_launcher",
                  "aftermath", "reaction")
_WEEK_DAYS = 7


@dataclass(frozen=True)
class ArticleInput:
    article_id: str
    text: str
    published_at: dt.datetime | None     # timezone-aware, in the source's own offset


@lru_cache(maxsize=1)
def _trigger_regex() -> re.Pattern:
    phrases = set()
    for kind in _TRIGGER_KINDS:
        phrases.update(cue_matcher(kind).entries)
    phrases.update(weapon_matcher().entries)
    return re.compile(word_alternation({word for phrase in phrases for word in phrase.split()[:1]}))


def analyse_sentence(sentence: Sentence, reference: dt.date | None, reference_time: dt.time | None,
                     dateline: Dateline, continues: SentenceFacts | None = None) -> SentenceFacts:
    """What a sentence says; ``continues`` is the clause of the same sentence this one goes on
    from (… بطائرة مسيرة، وقاعدة الشدادي …): its attack verb, weapon and time hold here too."""
    normalized = normalize(sentence.text)
    facts = SentenceFacts(sentence, normalized, context=continues)
    if continues is None and (not _trigger_regex().search(normalized) or is_caption(normalized)):
        return facts
    facts.cues = cue_matchers(_SENTENCE_CUES).find_all(normalized)
    landmark = _OPENING_LANDMARK_RE.match(normalized) if continues is None else None
    if landmark is not None:
        # The earlier event is when, not what, the sentence tells: it is read from its main clause.
        main = _main_clause(facts, landmark.end())
        if main is None:
            return SentenceFacts(sentence, normalized)
        return analyse_sentence(_cut(facts, main)[1], reference, reference_time, dateline)
    # "وجاء القصف بعد مقتل مواطن أمريكي في هجوم على قاعدة في كركوك": what the news came after is
    # an earlier event; the sentence is read up to there.
    came_after = search_if(_CAME_AFTER_RE, normalized, _CAME_AFTER_NEEDLES)
    # At the sentence's start only "وجاء ذلك بعد …" tells nothing but the earlier event.
    told_until = came_after.start() if came_after and (came_after.start() > 0 or came_after.group("came")) \
        else len(normalized)
    if told_until < len(normalized):
        facts.told_until = told_until
        shortly = _SHORTLY_RE.match(normalized, came_after.end()) if came_after.group("came") else None
        if shortly is not None:
            facts.shortly_after = shortly.end()
        facts.cues = {kind: [cue for cue in cues if cue.start < told_until] for kind, cues in facts.cues.items()}
    for kind in ("attack_noun", "killed"):
        # "بعد اغتيال سليماني"، "رداً على اغتيال": an assassination named as a landmark in time or a
        # motive is no attack of this report, nor is any attack named as the motive.
        facts.cues[kind] = [cue for cue in facts.cues[kind] if not (
            (cue.phrase.startswith("اغت") and (
                _LANDMARK_BEFORE_RE.search(normalized[max(0, cue.start - 14):cue.start])
                or _REPLY_TO_RE.search(normalized[max(0, cue.start - 60):cue.start])))
            or (kind == "attack_noun" and _named_as_motive(normalized, cue.start)))]
    facts.attack_nouns = facts.cues["attack_noun"]
    # "فجر اليوم"، "فجر الأحد": dawn, not "detonated".
    facts.event_verbs = facts.cues["event_verb"] = [
        verb for verb in facts.cues["event_verb"]
        if not (verb.phrase == "فجر" and _DAWN_AFTER_RE.match(normalized, verb.end))]
    facts.weapons = [w for w in valid_weapons(normalized, facts.attack_nouns)
                     if w.start < told_until and not _named_as_motive(normalized, w.start)
                     and not unfired(normalized, w.end)]
    facts.launch_cues = facts.cues["launch"]
    facts.quantities = [q for q in find_quantities(normalized) if q.start < told_until]
    facts.is_aggregate = bool(search_if(_AGGREGATE_RE, normalized, ("هجوما", "هجمات", "ضربه", "ضربات")))
    casualty_statement = facts.has("killed") or facts.has("injured") or facts.has("no_casualties")
    projectile_count = any(q.category == "projectile" for q in facts.quantities)
    facts.is_attack = (
        bool(facts.weapons or facts.attack_nouns)
        and bool(facts.event_verbs or casualty_statement or projectile_count or facts.has("damage")
                 or facts.has("intercept")
                 or (facts.weapons and any(SINGULAR_ATTACK_RE.fullmatch(n.phrase) for n in facts.attack_nouns)))
        and not facts.has("veto")
        and not facts.is_aggregate
    )
    if continues is not None:
        facts.is_attack = not (facts.has("veto") or facts.is_aggregate)
    if facts.is_attack and _MINUTES_APART_RE.match(normalized):
        facts.precedes = True
    if facts.is_attack and not facts.launch_cues and " من " in normalized:
        # "سقوط قذيفتين من الجانب الآخر على بلدة حدودية": where the shells came from.
        facts.launch_cues = [Match(w.end, origin.start("from"), "من", None) for w in facts.weapons
                             if w.payload.weapon_type in _FIRED_WEAPONS
                             and (origin := _FROM_AFTER_WEAPON_RE.match(normalized, w.end)) is not None]
    if facts.is_attack or casualty_statement or any(facts.has(k) for k in ("claim", "accuse", "update")) \
            or (facts.launch_cues and facts.weapons) \
            or search_if(HELD_RESPONSIBLE_RE, normalized, HELD_RESPONSIBLE_NEEDLES):
        # A dateline's city (الرمادي (رويترز) -) is where the copy was filed, not the scene.
        facts.places = [p for p in find_places(normalized)
                        if not dateline.files_from(sentence.start + p.start) and p.start < told_until]
        facts.targets = [t for t in target_matcher().find_all(normalized) if t.start < told_until]
        mentions = arabic_dates.find_dates(normalized, reference, reference_time)
        # The dateline's date is the publication's, not the event's.
        facts.dates = [d for d in mentions if not dateline.dates_report(sentence.start + d.start) and d.start < told_until]
        facts.is_background = _is_background(facts, reference) or (facts.is_attack and _tells_aftermath(facts))
        # "جهاز مكافحة الإرهاب" is the service that reports the attack, not counter-terrorism in general.
        facts.cues["generic"] = [cue for cue in facts.cues.get("generic", [])
                                 if not _INSTITUTION_BEFORE_RE.search(normalized[max(0, cue.start - 10):cue.start])]
        if facts.has("generic") and not any(_names_a_day(d) for d in facts.dates):
            facts.is_attack = False
    return facts


def _main_clause(facts: SentenceFacts, after: int) -> int | None:
    """Where the main clause starts after an opening landmark: the first comma a verb of the
    attack, its toll or its report follows closely (None: the sentence has no such clause)."""
    verbs = sorted(cue.start for kind in _MAIN_CLAUSE_VERBS for cue in facts.cues.get(kind, []) if cue.start > after)
    for comma in re.finditer(r"[,،]", facts.normalized[after:]):
        at = after + comma.end()
        if any(at <= verb <= at + _MAIN_VERB_AFTER_COMMA_CHARS for verb in verbs):
            return at
    return None


def _named_as_motive(normalized: str, start: int) -> bool:
    return bool(_MOTIVE_BEFORE_RE.search(normalized[max(0, start - 16):start]))


def _names_a_day(mention) -> bool:
    """A date of one day, with or without the year the text does not give (الأحد 24 أبريل)."""
    return mention.precision == "day" or bool(mention.month and mention.day) or mention.weekday is not None


def _tells_aftermath(facts: SentenceFacts) -> bool:
    """A funeral, a visit, a ceremony or a bare condemnation of an attack told in a relative clause
    (شيع الأهالي ضحايا التفجير الذي استهدف …، أدانت الوزارة الهجوم الذي …) or as the cause of the
    victims' fate (مراسم عودة رفات جنود قتلوا في هجوم …): the news is what followed the attack,
    which is recalled, not reported anew."""
    aftermath = list(facts.cues.get("aftermath", []))
    if not (facts.has("killed") or facts.has("injured") or any(q.category == "projectile" for q in facts.quantities)):
        # A condemnation that itself tells the toll or the salvo is the report of a reaction article.
        aftermath += facts.cues.get("reaction", [])
    aftermath.sort(key=lambda cue: cue.start)
    attack_terms = facts.attack_nouns + facts.weapons
    if not aftermath or not attack_terms:
        return False
    first_term = min(attack_terms, key=lambda term: term.start)
    if aftermath[0].start > first_term.start:
        return False
    # The victims' fate told before the attack that caused it ("تشييع طفلين فقدا حياتهما جراء قصف").
    if _FATE_RE.search(facts.normalized, aftermath[0].end, first_term.start):
        return True
    return bool(_RELATIVE_CLAUSE_RE.search(facts.normalized, first_term.end,
                                          first_term.end + AFTERMATH_RELATIVE_WINDOW_CHARS))


def _is_background(facts: SentenceFacts, reference: dt.date | None) -> bool:
    if facts.has("background") or _AGO_RE.search(facts.normalized):
        return True
    recent = reference is not None and any(
        d.date is not None and 0 <= (reference - d.date).days <= BACKGROUND_AFTER_DAYS for d in facts.dates)
    if _PLUPERFECT_RE.search(facts.normalized) and not recent:
        return True  # "وكان ... قد": told as the past of the story, unless dated now
    if reference is None:
        return False
    for mention in facts.dates:
        if mention.year is None or mention.month is None:
            continue
        if mention.date is not None:
            if (reference - mention.date).days > BACKGROUND_AFTER_DAYS:
                return True
        elif (mention.year, mention.month) < (reference.year, reference.month):
            return True
    return False


# ----------------------------------------------------------------------------------------------
# Fields


def _value_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _evidence(field_name: str, candidate: Candidate) -> FieldValue:
    start, end = candidate.facts.original_span(candidate.start, candidate.end)
    return FieldValue(
        field=field_name,
        value=_value_text(candidate.value),
        evidence=candidate.facts.sentence.text,
        span_start=start,
        span_end=end,
        confidence=round(candidate.confidence, 2),
        statement=candidate.facts.sentence.index,
    )


def _date_candidates(draft: MentionDraft) -> list[Candidate]:
    candidates = []
    for told in draft.sentences:
        # A clause that takes its time from the clause before: the date is read there.
        facts = told.context if told.context is not None and told.dates is told.context.dates else told
        reaction = bool(facts.cues.get("report_verb")) and facts.cues["report_verb"][0].start < 12
        statements = facts.cues.get("claim", []) + facts.cues.get("reaction", [])
        attack_cues = facts.event_verbs + facts.attack_nouns + facts.weapons
        for mention in facts.dates:
            if mention.kind == "period":
                continue
            if mention.bound and mention.kind == "explicit":
                continue  # "الثالث من نوعه منذ أيلول 2020": the start of a tally, not this attack's day
            attached = any(0 <= mention.start - cue.end <= ATTACHED_DATE_WINDOW_CHARS for cue in attack_cues)
            score = {"explicit": 0.9, "relative": 0.8, "weekday": 0.75}.get(mention.kind, 0.5)
            # The date of a statement about the attack, or of a toll reported later ("ارتفع عدد
            # القتلى إلى ثلاثة، طبقا لما ذكرته الوكالة السبت"), not of the attack; a date after a
            # claim or a condemnation ("تبنى التنظيم، الثلاثاء، الهجوم الذي وقع الأحد") dates it.
            stated = any(cue.end <= mention.start and not any(cue.end <= told_cue.start < mention.start
                                                             for told_cue in attack_cues)
                         for cue in statements)
            if (reaction or stated or not facts.is_attack or facts.has("update")) and not attached:
                score -= 0.5
            if mention.offset is not None and mention.offset > 0:
                score -= 0.5  # "غدا": a report tells what happened; tomorrow is a funeral's, a session's day
            candidates.append(Candidate(mention, facts, mention.start, mention.end, score))
    return candidates


def _names_another_scene(facts: SentenceFacts, draft: MentionDraft) -> bool:
    scene = draft.scene
    named = [p.place for p in impact_places(facts) if p.place.precision in ("site", "district", "city")]
    return bool(named) and scene is not None and all(different_scenes(scene, place) for place in named)


def build_mention(article_id: str, index: int, draft: MentionDraft, drafts: list[MentionDraft],
                  analysed: list[SentenceFacts], reference: dt.date | None) -> Mention:
    values: list[FieldValue] = []
    record: dict = {}

    date_candidates = [c for c in _date_candidates(draft)
                       if draft.role == "primary" or c.value.kind == "explicit" or c.value.month]
    if not date_candidates and draft.first.context is not None:
        # A second target of the sentence that opened another mention (…، إضافة إلى قاعدة في أربيل):
        # hit at the time that mention's sentences give.
        owner = next((d for d in drafts if d is not draft and any(f is draft.first.context for f in d.sentences)), None)
        date_candidates = _date_candidates(owner) if owner is not None else []
    if not date_candidates and draft.same_time_as is not None:
        date_candidates = _date_candidates(draft.same_time_as)
    date_choice = max(date_candidates, key=lambda c: (c.confidence, -c.facts.sentence.index), default=None)
    for candidate in date_candidates:
        values.append(_evidence("event_date", Candidate(_date_text(candidate.value), candidate.facts,
                                                        candidate.start, candidate.end, candidate.confidence)))
    if date_choice is not None:
        chosen = date_choice.value
        record.update(event_year=chosen.year, event_month=chosen.month, event_day=chosen.day,
                      date_precision=chosen.precision if chosen.year else "unknown")
        record["event_date"] = chosen.date.isoformat() if chosen.date else None
        record["event_weekday"] = _weekday_of(chosen)
        values.append(_evidence("date_precision", Candidate(record["date_precision"], date_choice.facts,
                                                            date_choice.start, date_choice.end, date_choice.confidence)))
    elif reference is not None and draft.role == "primary":
        # No date words: a report is about the days just before it was published.
        record.update(event_date=reference.isoformat(), event_year=reference.year, event_month=reference.month,
                      event_day=reference.day, date_precision="week")
    else:
        record["date_precision"] = "unknown"
    times = [c for c in date_candidates if c.value.time_of_day]
    time_choice = next((c for c in times if date_choice and c.value == date_choice.value), times[0] if times else None)
    if time_choice is not None:
        record["time_of_day"] = time_choice.value.time_of_day
        values.append(_evidence("time_of_day", Candidate(time_choice.value.time_of_day, time_choice.facts,
                                                         time_choice.start, time_choice.end, 0.7)))

    primaries = [d for d in drafts if d.role == "primary"]
    weapon, detail = weapon_of(draft.sentences)
    if weapon is None and len(primaries) == 2 and draft.role == "primary":
        # "التفجيرين الانتحاريين اللذين ضربا بغداد": the other attack's sentence that names both.
        both = [f for d in primaries if d is not draft for f in d.sentences if TWO_ATTACKS_RE.search(f.normalized)]
        weapon, detail = weapon_of(both) if both else (None, None)
    record["weapon_type"] = weapon.value if weapon else "unknown"
    if weapon:
        values.append(_evidence("weapon_type", weapon))
    if detail:
        record["weapon_detail"] = detail.value
        values.append(_evidence("weapon_detail", detail))

    count = plausible(projectile_count(draft.sentences, record["weapon_type"]))
    if count:
        record["projectile_count"] = count.value
        values.append(_evidence("projectile_count", count))

    for field_name in ("killed", "injured"):
        candidates = [c for c in casualty_candidates(draft.sentences, field_name) if plausible(c)]
        chosen = best(candidates)
        if chosen is not None:
            record[field_name] = chosen.value
        values.extend(_evidence(field_name, c) for c in candidates)

    place, launch = place_of(draft.sentences)
    if place:
        p = place.value
        record.update(place_id=p.place_id, location_name=p.name_en, location_name_ar=p.name_ar, country=p.country,
                      admin1=p.admin1, city=p.city or (p.name_en if p.precision == "city" else None),
                      latitude=p.latitude, longitude=p.longitude, geo_precision=p.precision)
        for field_name in ("location_name", "country", "admin1", "city"):
            if record.get(field_name):
                values.append(_evidence(field_name, Candidate(record[field_name], place.facts, place.start,
                                                              place.end, place.confidence)))
        note = next((m.note for m in place.facts.places if m.start == place.start and m.note), None)
        if note:  # a name several places bear: which one was taken, and why
            values.append(_evidence("place_note", Candidate(note, place.facts, place.start, place.end, place.confidence)))
    elif (named := place_named_by_model(draft.sentences)) is not None:
        # A place the gazetteer lacks, tagged by the NER model: its name, without coordinates.
        record["location_name_ar"] = named.value
        values.append(_evidence("location_name", named))
    if launch:
        if isinstance(launch.value, str):
            record["launch_site"] = launch.value
        else:
            record.update(launch_site=launch.value.name_en, launch_place_id=launch.value.place_id)
        values.append(_evidence("launch_site", Candidate(record["launch_site"], launch.facts, launch.start,
                                                         launch.end, launch.confidence)))

    target = target_of(draft.sentences, place)
    record["target_type"] = target.value.target_type if target else "unknown"
    if target:
        record["target_name"] = target.value.name_en
        values.append(_evidence("target_type", Candidate(target.value.target_type, target.facts, target.start,
                                                         target.end, target.confidence)))

    damage = damage_of(draft.sentences)
    if damage:
        record["property_damage"] = damage.value
        values.append(_evidence("property_damage", damage))

    claim, disowned, accused = responsibility(
        analysed, draft.sentences, draft.role == "primary",
        lambda facts: len(primaries) > 1 and _names_another_scene(facts, draft), two_attacks=len(primaries) == 2)
    if claim:
        record["perpetrator_claimed"] = claim.value
        values.append(_evidence("perpetrator_claimed", claim))
    if disowned:
        record["claim_disowned"] = True
        values.append(_evidence("claim_disowned", disowned))
    if accused:
        record["perpetrator_accused"] = accused.value
        values.append(_evidence("perpetrator_accused", accused))

    known = sum(1 for key in ("event_date", "place_id", "projectile_count", "killed", "injured") if record.get(key) is not None)
    confidence = min(0.95, 0.4 + 0.1 * known + (0.1 if record["weapon_type"] != "unknown" else 0.0))
    first = draft.first.sentence
    return Mention(
        mention_id=f"{article_id}:{index}",
        article_id=article_id,
        mention_index=index,
        role=draft.role,
        confidence=round(confidence, 2),
        evidence=first.text,
        values=tuple(values),
        **record,
    )


def _date_text(mention) -> str:
    if mention.date:
        return mention.date.isoformat()
    parts = [str(mention.year) if mention.year else "????", f"{mention.month:02d}" if mention.month else "??",
             f"{mention.day:02d}" if mention.day else "??"]
    return "-".join(parts)


def _weekday_of(mention) -> int | None:
    return mention.date.weekday() if mention.date else mention.weekday


def reference_of(article: ArticleInput) -> tuple[dt.date | None, dt.time | None, Dateline]:
    """The publication date and time the text is read against, and the article's dateline.

    Without metadata the report's date is the one its dateline or its page prints; failing
    those, the first full date of its lead (an attack's date: the report is not older).
    """
    dateline, lead_date = dateline_of(article.text)
    if article.published_at is not None:
        return article.published_at.date(), _clock_time(article.published_at), dateline
    return dateline.report_date or lead_date, None, dateline


def _clock_time(published_at: dt.datetime) -> dt.time | None:
    """The time of publication, or None where only the day is known: feeds, urls and date lines
    that give a day are stored as its midnight, and "Sunday morning" in a report of that Sunday
    is that morning, not one a week earlier (a real report dated by its url lost its date so)."""
    time = published_at.time()
    return None if time == dt.time(0) else time


def split_attacks(facts: SentenceFacts, reference: dt.date | None, reference_time: dt.time | None,
                  dateline: Dateline) -> list[SentenceFacts]:
    """One sentence that reports two attacks in two places (…، فيما سقطت …) as two clauses."""
    if facts.shortly_after is not None:
        # "… بعد ساعات من انفجار هز سوقاً …، أسفر عن سقوط 9 قتلى": the attack it came after.
        earlier = analyse_sentence(_cut(facts, facts.shortly_after)[1], reference, reference_time, dateline)
        if earlier.is_attack:
            earlier.precedes = True
            return [facts, earlier]
    if not facts.is_attack:
        return [facts]
    scenes = [p for p in impact_places(facts) if p.place.precision in ("site", "district", "city")]
    for index, first in enumerate(scenes):
        for second in scenes[index + 1:]:
            if not different_scenes(first.place, second.place) or _BETWEEN_RE.search(
                    facts.normalized, max(0, first.start - 12), first.start):
                continue
            markers = list(_CLAUSE_RE.finditer(facts.normalized, first.end, second.start))
            # "استهدفت قاعدة عين الأسد …، وقاعدة الشدادي …": a second target of the same verb.
            also = None if markers else next(_ALSO_TARGET_RE.finditer(facts.normalized, first.end, second.start), None)
            joined = not markers and (also is not None or facts.normalized.startswith("و", second.start))
            if not markers and not joined:
                continue
            at = markers[-1].start() if markers else (also.start() if also else second.start)
            parts = _cut(facts, at)
            head = analyse_sentence(parts[0], reference, reference_time, dateline)
            tail = analyse_sentence(parts[1], reference, reference_time, dateline, continues=head if joined else None)
            if head.is_attack and tail.is_attack:
                if not tail.dates:
                    tail.dates = head.dates  # one sentence: one time, unless it says otherwise
                    tail.context = head
                return [head, tail]
    return [facts]


def _cut(facts: SentenceFacts, at: int) -> tuple[Sentence, Sentence]:
    """The sentence as two clauses, cut at ``at`` of its normalized text."""
    cut = facts.original_span(at, at)[0]
    sentence = facts.sentence
    head, tail = (replace(sentence, start=start, end=end, text=sentence.text[start - sentence.start:end - sentence.start])
                  for start, end in ((sentence.start, cut), (cut, sentence.end)))
    return head, tail


def extract_article(article: ArticleInput) -> list[Mention]:
    reference, reference_time, dateline = reference_of(article)
    analysed = _analyse(article.text, reference, reference_time, dateline)
    shift = _stamp_shift(analysed, reference)
    if shift:
        # The page's stamp is a day off the story's own "today": the story's day is the reference.
        reference += dt.timedelta(days=shift)
        analysed = _analyse(article.text, reference, None, dateline)
    # A name that several places bear is read with the article's other places, its dateline's too.
    dateline_places = find_places(normalize(article.text[dateline.place_start:dateline.place_end])) \
        if dateline.place_end else []
    resolve_in_context([facts.places for facts in analysed], dateline_places)
    drafts = group_mentions(analysed)
    return [build_mention(article.article_id, index, draft, drafts, analysed, reference)
            for index, draft in enumerate(drafts)]


def _analyse(text: str, reference: dt.date | None, reference_time: dt.time | None,
             dateline: Dateline) -> list[SentenceFacts]:
    return [
        clause
        for sentence in split_sentences(text)
        for clause in split_attacks(analyse_sentence(sentence, reference, reference_time, dateline),
                                    reference, reference_time, dateline)
    ]


def _stamp_shift(analysed: list[SentenceFacts], reference: dt.date | None) -> int:
    """How many days the story's first "today, <weekday>" or "yesterday, <weekday>" says the
    reference is off (one at most, either way), or 0: pages are stamped the next morning, by an
    aggregator a day later, or just after midnight, above a text that says "this evening, Wednesday"
    or "yesterday, Monday" (realset/more/PATTERNS.md). The written weekday already dates its own
    sentence; the shift dates the story's other relative words ("أمس" alone) as it does."""
    if reference is None:
        return 0
    for facts in analysed:
        if facts.is_background:
            continue
        for mention in facts.dates:
            if mention.offset is not None and mention.weekday is not None and mention.date is not None:
                shift = (mention.date - (reference + dt.timedelta(days=mention.offset))).days
                return shift if abs(shift) == 1 else 0
    return 0


def extract_batch(articles: list[ArticleInput]) -> list[Mention]:
    mentions: list[Mention] = []
    for article in articles:
        mentions.extend(extract_article(article))
    return mentions
