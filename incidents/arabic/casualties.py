"""Killed and injured: every figure an attack's sentences give, and the one that is kept.

The kinds of statement, most explicit first: a toll (ارتفعت حصيلة القتلى إلى خمسة), a count of
casualty nouns (أربعة قتلى، خمسة شهداء), victims after a verb (مقتل ثلاثة جنود، إصابة طفلة
وامرأة), an explicit none (دون خسائر بشرية). A statement introduced as an update wins over the ones
before it. Rules and the real reporting they serve: docs/extraction.md, section 5.
"""

from __future__ import annotations

import re
from functools import lru_cache

from incidents.arabic.facts import Candidate, SentenceFacts, finditer_if, search_if
from incidents.arabic.numbers import Quantity, parse_number

CASUALTY_WINDOW_CHARS = 45
_CASUALTY_NOUN_RE = re.compile(
    r"(?<!\w)(?:و?(?P<number>\d+|[^\s\d]+)\s+)?(?:ال)?(?P<noun>قتلي|قتيلا|قتيلين|قتيلان|قتيل|شهداء|شهيدا|شهيدين|شهيدان|شهيد|جرحي|جريحا|جريحين|جريحان|جريح|مصابين|مصابا)(?!\w)"
)
_KILLED_NOUNS = ("قتيل", "قتلي", "شهيد", "شهداء")
_DUAL_CASUALTY = {"قتيلين", "قتيلان", "شهيدين", "شهيدان", "جريحين", "جريحان"}
_SINGLE_CASUALTY = {"قتيل", "شهيد", "جريح"}
# A figure of the dead and the wounded together (مقتل وإصابة 7، استشهد وأصيب 12، سقط تسعة بين
# قتيل وجريح، يقتل ويصيب 11) says how many were hit, not how many were killed or injured; "قتلوا
# وأصيب 7 آخرين" gives two figures.
_COMBINED_RE = re.compile(
    r"(?P<before>(?<!\w)[وفب]?(?:مقتل|استشهاد|قتل|استشهد|يقتل|تقتل)\s+و\s*"
    r"(?:اصابه|جرح|اصيب|يصيب|تصيب|يجرح)(?!\w)(?!\s+\S+\s+(?:اخرين|اخرون)))"
    r"|(?P<after>(?<!\w)(?:ما\s+)?بين\s+(?:قتيل|شهيد)\s+و\s*(?:جريح|مصاب)(?!\w))")
_COMBINED_REACH_CHARS = 40
# The victims before a verb in the plural or dual that they suffered ("5 أشخاص على الأقل قتلوا").
_VICTIMS_THEN_VERB_RE = {
    "killed": re.compile(r"(?<!\w)[وف]?(?:قتلوا|استشهدوا|لقوا|توفوا|(?P<dual>قتلا|استشهدا|لقيا|توفيا))(?!\w)"),
    "injured": re.compile(r"(?<!\w)[وف]?(?:اصيبوا|جرحوا|(?P<dual>اصيبا|جرحا))(?!\w)"),
}
# The subject of a dual verb written like a plural (شرطيين، مدنيين), maybe with "others" (آخرين),
# right before the verb and with no number of its own.
_DUAL_SUBJECT_RE = re.compile(r"(?<!\w)(?:ان\s+)?[^\W\d]{3,}يين(?:\s+اخرين)?\s+$")
_VICTIM_VERB_NEEDLES = {"killed": ("قتل", "استشهد", "لقوا", "لقيا", "توف"), "injured": ("اصيب", "جرح")}
# "لقي سبعة أشخاص مصرعهم": the victims stand between the verb and its object, with those "among
# them" listed before the object as well (لقي سبعة أشخاص بينهم طفلة وثلاثة جنود حتفهم).
_MET_DEATH_RE = re.compile(
    r"(?<!\w)[وف]?(?:لقي|لقيت|لقوا|لقين|لقيا)\s+(?P<victims>(?:\S+\s+){1,10}?)"
    r"(?P<object>مصرعهم|مصرعه|مصرعها|مصرعهما|مصرعهن|حتفهم|حتفه|حتفها|حتفهما|حتفهن)(?!\w)")
# "فقد حياته"، "فارق الحياة": the death of one (or, in the dual, two) the sentence names, not counts.
_ONE_FATE_RE = re.compile(
    r"(?<!\w)[وف]?(?:فقد\s+حياته|فقدت\s+حياتها|فارق\s+الحياه|فارقت\s+الحياه"
    r"|(?P<dual>فقدا\s+حياتهما|فقدتا\s+حياتهما|فارقا\s+الحياه|فارقتا\s+الحياه))(?!\w)")
# A death told as the victims' fate with its object (لقوا مصرعهم، لقي حتفه، فقدوا حياتهم): the
# victims are named before it.
_FATE_OBJECT_RE = re.compile(r"(?:مصرع|حتف|حيات)\w*$")
_RESTRICTED_NONE_RE = re.compile(r"\s*(?:\w+\s+){0,2}?(?:في|ضمن|بين)\s+صفوف")
_TOLL_RE = re.compile(
    r"(?:حصيله|عدد)\s+(?:(?P<killed>القتلي|الضحايا|الشهداء|الوفيات)|(?P<injured>الجرحي|المصابين|الاصابات))"
    r"(?P<rest>(?:\s+[^\s,.]+){1,6})")
# The figure of a toll: digits, or a number word with its "and" parts (ثلاثة وعشرين، ثلاثة عشر).
_TOLL_NUMBER_RE = re.compile(r"\s+(?P<number>\d+|[^\s\d,.]+(?:\s+(?:و\S+|عشر|عشره))?)")
# "دون أن يسفر الانفجار عن خسائر بشرية": the negation and the losses with words between them.
_NO_LOSSES_RE = re.compile(
    r"(?<!\w)[وف]?(?:دون ان|دون|لم|لا)\s+(?:\S+\s+){0,3}?(?:يسفر|تسفر|يتسبب|تتسبب|يوقع|توقع|تخلف|يخلف|تسجل|يسجل)"
    r"\s+(?:\S+\s+){0,2}?(?:عن|ب|في)?\s*(?:اي\s+|وقوع\s+)?(?:خسائر (?:ماديه\s+(?:او|و)\s*)?بشريه|اضرار بشريه|ضحايا|اصابات|خسائر في الارواح)")
_LOSS_VERBS = ("يسفر", "تسفر", "يتسبب", "تتسبب", "يوقع", "توقع", "تخلف", "يخلف", "تسجل", "يسجل")
_NO_DEATHS_RE = re.compile(
    r"(?<!\w)[وف]?(?:دون|لم|لا)\s+(?:\S+\s+){0,2}?(?:اي\s+)?(?:وفيات|حالات? وفاه|قتلي|قتيل)(?!\w)")
_NO_DEATHS_NEEDLES = ("وفيات", "وفاه", "قتلي", "قتيل")
_NOBODY_HURT_RE = re.compile(r"(?<!\w)(?:لم|دون ان)\s+(?:يصب|يصاب|تصب)\s+(?:اي|احد)(?!\w)")
_AMONG_THEM = r"(?:بينهم|بينهن|منهم|منهن|بينها)"
_AMONG_THEM_RE = re.compile(rf"{_AMONG_THEM}\s*$")
_AMONG_THEM_WORD_RE = re.compile(rf"(?<!\w){_AMONG_THEM}(?!\w)")
# "وإصابة ثلاثة آخرين"، "وإصابة اثنين من مرافقيه": a number of others, or of someone's people.
# "اغتيال الناشط إيهاب": one person killed, unless it was an attempt (محاولة اغتيال، تعرض لمحاولة اغتيال).
_ASSASSINATION_RE = re.compile(r"(?:اغتيال|اغتيل|اغتال|اغتالت|اغتالوا)")
_ATTEMPT_BEFORE_RE = re.compile(r"(?<!\w)(?:[وفبل]?(?:ال)?(?:محاوله|محاولات)|لل(?:محاوله|محاولات)|نجا من|كل|كل عمليه)\s*$")
_VICTIM_NAMED_RE = re.compile(r"\s+(?!(?:فاشله|فاشل)(?!\w))[^\W\d]")
# "استشهد جندي وأصيب آخر": one more; "وأصيب آخران": two more.
_ANOTHER_RE = re.compile(r"\s+(?:اخر|اخري|(?P<two>اخران|اخريان))(?!\w)")
_OTHERS_UNCOUNTED_RE = re.compile(r"\s+(?:اخرون|اخرين|اخريات)(?!\w)")
# "وأصيب أكثر من 100 في التفجيرات": a hedged figure with no noun; the bound is the figure.
_HEDGE = r"(?:اكثر من|نحو|حوالي|قرابه|زهاء|ما لا يقل عن)"
_HEDGED_COUNT_RE = re.compile(rf"\s+{_HEDGE}\s+(?P<number>\d+)(?!\d)")
# "قتل قيادي في القصف، وأوضح مصدر أن اثنين من مرافقيه قتلا أيضا": a second figure of the same
# sentence marked "also" (أيضا right after it, كما right before its verb) counts more victims.
_ALSO_AFTER_RE = re.compile(r"\s+(?:\w+\s+)?ايضا(?!\w)")
# So is one added "in addition to" the toll (تسعة شهداء …، إضافة إلى مقتل سائحة).
_ALSO_BEFORE_RE = re.compile(r"(?<!\w)(?:كما|(?:بال|ب)?اضافه (?:الي|ل))\s+$")
# A full stop ends the statement a cue opens ("… عملية اغتيال .اربعة من حراس …").
_STOP_RE = re.compile(r"[.!?]")
# Between two coordinated victims: "ضابط وجنديين"، "طفلة، وامرأة"، "ثلاثة جنود من اللواء و".
_COORDINATION_GAP_RE = re.compile(r"[\s\w]{0,12}?\s*و\s*|\s*(?:,|و)\s*")
_CASUALTY_LEMMAS = {"قتيل", "شهيد", "جريح", "مصاب"}
# "وإصابة نحو مائة آخرين": the hedge before a number of others keeps the number (the bound).
_BARE_COUNT_RE = re.compile(
    rf"\s*(?:{_HEDGE}\s+)?(?P<number>\d+|[^\s\d,.]+)\s+(?:اخرين|اخريات|اخرون|اخران|اخريان|اشخاص اخرين|من\s+\S+(?:ه|ها|هم|هما)(?!\w))(?!\w)")


def reports_casualties(facts: SentenceFacts) -> bool:
    return bool(facts.has("update") or search_if(_TOLL_RE, facts.told, ("حصيله", "عدد"))
                or facts.has("no_casualties") or facts.has("no_killed") or facts.has("no_injured")
                or search_if(_NO_LOSSES_RE, facts.told, _LOSS_VERBS)
                or search_if(_NO_DEATHS_RE, facts.told, _NO_DEATHS_NEEDLES)
                or search_if(_ONE_FATE_RE, facts.told, ("فقد", "فارق"))
                or any(m.group("number") and _casualty_noun_value(m)
                       for m in finditer_if(_CASUALTY_NOUN_RE, facts.told, ("قتي", "قتل", "جري", "جرح", "شهي", "شهد")))
                or ((facts.has("killed") or facts.has("injured"))
                    and (any(q.category == "person" for q in facts.quantities) or _dual_victims(facts.told))))


def _dual_victims(normalized: str) -> bool:
    """"إن شرطيين آخرين أصيبا": two victims named by a noun that reads as a plural, then a dual verb."""
    for kind, pattern in _VICTIMS_THEN_VERB_RE.items():
        for verb in finditer_if(pattern, normalized, _VICTIM_VERB_NEEDLES[kind]):
            if verb.group("dual") and _DUAL_SUBJECT_RE.search(
                    normalized, max(0, verb.start() - CASUALTY_WINDOW_CHARS), verb.start()):
                return True
    return False


def best(candidates: list[Candidate]) -> Candidate | None:
    """An update wins over what came before it; then the most explicit, then the latest."""
    if not candidates:
        return None
    updates = [c for c in candidates if c.update]
    if updates:
        return max(enumerate(updates), key=lambda item: (item[1].confidence, item[0]))[1]
    # A headline's figure gives way to the body's when both give one: the body tells it in full,
    # and a headline is where a figure is rounded or mistyped (٤٢ over a body's 24).
    body = [c for c in candidates if not _in_headline(c)]
    if body and any(c.value for c in body):
        candidates = body
    # Statements of one article at the same level: the fuller account (the larger figure).
    return max(candidates, key=lambda c: (c.confidence, c.value if isinstance(c.value, int) else 0))


def _in_headline(candidate: Candidate) -> bool:
    """A line of the story's opening that ends without a full stop: the headline."""
    sentence = candidate.facts.sentence
    return sentence.story_paragraph <= 1 and not sentence.text.rstrip().endswith((".", "!", "?", "؟", "\"", "»", "”"))


def casualty_candidates(sentences: list[SentenceFacts], kind: str) -> list[Candidate]:
    """Every figure the article's sentences give for ``kind`` ('killed' or 'injured').

    Confidence orders the kinds of statement: a toll (ارتفعت حصيلة القتلى إلى خمسة) over a count
    of casualty nouns (أربعة قتلى) over victims after a verb (مقتل ثلاثة جنود) over "no losses".
    """
    found: list[Candidate] = []
    for facts in sentences:
        update = facts.has("update")
        # What the sentence tells of this attack, and where it gives a combined toll: read once.
        told = facts.told
        combined = _combined_spans(told)
        for toll in finditer_if(_TOLL_RE, told, ("حصيله", "عدد")):
            if toll.group(kind):
                figure = _toll_figure(toll)
                if figure is not None:
                    found.append(Candidate(figure[0], facts, toll.start(), figure[1], 0.97, update))
        for noun in finditer_if(_CASUALTY_NOUN_RE, told, ("قتل", "قتي", "جرح", "جري", "مصاب", "شهد", "شهي")):
            if noun.group("noun").startswith(_KILLED_NOUNS) != (kind == "killed"):
                continue
            if _inside(noun.start("noun"), noun.end(), combined):
                continue
            value = _casualty_noun_value(noun)
            if value is not None:
                found.append(Candidate(value, facts, noun.start(), noun.end(), 0.95, update))
        if kind == "killed":
            for met in finditer_if(_MET_DEATH_RE, told, ("لقي", "لقو")):
                # "قتل خمسة مدنيين بينهم طفلان": those among them are counted already, and so is
                # everyone listed after "among them" (بينهم سائحة وأربعة من أفراد الأمن).
                among = _AMONG_THEM_WORD_RE.search(told, met.start("victims"), met.end("victims"))
                victims_end = among.start() if among else met.end("victims")
                victims = [q for q in facts.quantities if q.category == "person" and q.value is not None
                           and met.start("victims") <= q.start < victims_end]
                if victims:
                    found.append(Candidate(sum(q.value for q in victims), facts, met.start(), met.end(), 0.9, update))
                elif met.group("object").endswith(("هما",)):
                    found.append(Candidate(2, facts, met.start(), met.end(), 0.7, update))
                elif met.group("object").endswith(("ه", "ها")):
                    # "لقي الخبير الأمني X مصرعه": his death, one person named, not counted.
                    found.append(Candidate(1, facts, met.start(), met.end(), 0.7, update))
            for fate in finditer_if(_ONE_FATE_RE, told, ("فقد", "فارق")):
                found.append(Candidate(2 if fate.group("dual") else 1, facts, fate.start(), fate.end(), 0.7, update))
        # "قال مسؤولون إن 4 سوريين، بينهم 3 أطفال، قتلوا": the victims, then the verb they suffered.
        for verb in finditer_if(_VICTIMS_THEN_VERB_RE[kind], told, _VICTIM_VERB_NEEDLES[kind]):
            before = [q for q in facts.quantities if q.category == "person" and q.value is not None
                      and 0 <= verb.start() - q.end <= CASUALTY_WINDOW_CHARS
                      and not _AMONG_THEM_RE.search(told[max(0, q.start - 12):q.start])]
            # The victims are the ones nearest the verb: "قال ضابط إن جنديين آخرين أصيبا" is two
            # soldiers, not the officer who told it.
            victims = _run_before(told, before)
            # "شرطيين آخرين أصيبا": a noun in -يين is a plural or a dual; the dual verb says two.
            dual = verb.group("dual") and _DUAL_SUBJECT_RE.search(
                told, max(0, verb.start() - CASUALTY_WINDOW_CHARS), verb.start())
            if dual and (not victims or victims[-1].end <= dual.start()):
                if not _inside(dual.start(), verb.end(), combined):
                    found.append(Candidate(2, facts, dual.start(), verb.end(), 0.9, update))
            elif victims and not _inside(victims[0].start, verb.end(), combined):
                found.append(Candidate(sum(q.value for q in victims), facts, victims[0].start, verb.end(), 0.9, update))
        # "two of the faction's members" counts victims; "among them a child" counts some again;
        # a count of the dead or the wounded (خمسة شهداء و11 جريحا) is read as a casualty noun.
        persons = [q for q in facts.quantities
                   if q.category == "person" and q.lemma not in _CASUALTY_LEMMAS
                   and not _AMONG_THEM_RE.search(told[max(0, q.start - 12):q.start])]
        cues = facts.cues.get(kind, [])
        all_cue_starts = sorted(c.start for k in ("killed", "injured") for c in facts.cues.get(k, []))
        for cue in cues:
            if _inside(cue.start, cue.end, combined):
                continue
            if _OTHERS_UNCOUNTED_RE.match(told, cue.end):
                continue  # "قتل ثلاثة وجرح آخرون": others, how many is not said
            if _FATE_OBJECT_RE.search(cue.phrase):
                continue  # "4 أشخاص فقدوا حياتهم بضربة …": the victims stand before, what follows is how
            stop = next((start for start in all_cue_starts if start > cue.start), len(told))
            group = [q for q in persons if 0 <= q.start - cue.end <= CASUALTY_WINDOW_CHARS
                     and q.start < stop and q.value is not None and not _STOP_RE.search(told, cue.end, q.start)]
            if group:
                # Coordinated victims (طفلة وامرأة) add up; a run of them is one statement.
                group = _coordinated_run(told, group)
                total = sum(q.value for q in group)
                explicit = any(q.text[:1].isdigit() or q.value > 2 for q in group)
                found.append(Candidate(total, facts, cue.start, group[-1].end, 0.9 if explicit else 0.7, update))
                continue
            bare = _BARE_COUNT_RE.match(told, cue.end) or _HEDGED_COUNT_RE.match(told, cue.end)
            if bare:
                value = parse_number(bare.group("number"))
                if value is not None:
                    found.append(Candidate(value, facts, cue.start, bare.end(), 0.9, update))
                continue
            another = _ANOTHER_RE.match(told, cue.end)
            if another:
                found.append(Candidate(2 if another.group("two") else 1, facts, cue.start, another.end(), 0.8, update))
                continue
            if kind == "killed" and _ASSASSINATION_RE.fullmatch(cue.phrase) \
                    and _VICTIM_NAMED_RE.match(told, cue.end) \
                    and not _ATTEMPT_BEFORE_RE.search(told[max(0, cue.start - 12):cue.start]):
                found.append(Candidate(1, facts, cue.start, cue.end, 0.7, update))  # "اغتيال الناشط X": one person
        nones = [(c.start, c.end) for c in facts.cues.get("no_casualties", []) + facts.cues.get(f"no_{kind}", [])]
        nones += [m.span() for m in finditer_if(_NO_LOSSES_RE, told, _LOSS_VERBS)]
        if kind == "injured":
            nones += [m.span() for m in finditer_if(_NOBODY_HURT_RE, told, ("يصب", "يصاب", "تصب"))]
        else:
            nones += [m.span() for m in finditer_if(_NO_DEATHS_RE, told, _NO_DEATHS_NEEDLES)]
        for start, end in nones:
            # "no losses among the coalition's ranks" says nothing about the other victims.
            if _RESTRICTED_NONE_RE.match(told, end):
                continue
            found.append(Candidate(0, facts, start, end, 0.8, update))
        found += _also_counted(found, facts)
    found.sort(key=lambda c: (c.facts.sentence.index, c.start))
    positive = [c for c in found if c.value]
    if positive:
        # A report of victims outweighs a "no casualties" unless that comes later as an update.
        last_positive = max(c.facts.sentence.index for c in positive)
        found = [c for c in found if c.value or (c.update and c.facts.sentence.index > last_positive)]
    return found


def _also_counted(found: list[Candidate], facts: SentenceFacts) -> list[Candidate]:
    """The sentence's figure with the one it adds "also" or "in addition to" (``_ALSO_AFTER_RE``,
    ``_ALSO_BEFORE_RE``), as one more statement of the sentence."""
    own = sorted((c for c in found if c.facts is facts and c.value), key=lambda c: c.start)
    added = []
    for later in own:
        if not (_ALSO_AFTER_RE.match(facts.told, later.end)
                or _ALSO_BEFORE_RE.search(facts.told[max(0, later.start - 16):later.start])):
            continue
        before = [c for c in own if c.end <= later.start]
        if before:
            first = before[-1]
            added.append(Candidate(first.value + later.value, facts, first.start, later.end,
                                   max(first.confidence, later.confidence), later.update))
    return added


@lru_cache(maxsize=64)
def _combined_spans(normalized: str) -> tuple[tuple[int, int], ...]:
    """Where a combined figure of dead and wounded is given: the pair and the figure next to it
    (after مقتل وإصابة، before بين قتيل وجريح)."""
    spans = []
    for found in finditer_if(_COMBINED_RE, normalized, ("بين", "قتل", "استشهد", "استشهاد")):
        if found.group("before"):
            spans.append((found.start(), found.end() + _COMBINED_REACH_CHARS))
        else:
            spans.append((max(0, found.start() - _COMBINED_REACH_CHARS), found.end()))
    return tuple(spans)


def _inside(start: int, end: int, spans: tuple[tuple[int, int], ...]) -> bool:
    return any(span_start <= start and end <= span_end for span_start, span_end in spans)


def _toll_figure(toll: re.Match) -> tuple[int, int] | None:
    """The first number among the words after a toll's noun (حصيلة القتلى ارتفعت إلى سبعة), and
    where it ends."""
    position = toll.start("rest")
    while position < toll.end("rest"):
        found = _TOLL_NUMBER_RE.match(toll.string, position)
        if found is None:
            return None
        value = parse_number(found.group("number"))
        if value is not None:
            return value, found.end()
        position = found.start("number") + len(found.group("number").split()[0])
    return None


def _run_before(normalized: str, quantities: list[Quantity]) -> list[Quantity]:
    """The coordinated run of victims that ends with the last of ``quantities`` (nearest a verb)."""
    if not quantities:
        return []
    run = [quantities[-1]]
    for quantity in reversed(quantities[:-1]):
        if not _COORDINATION_GAP_RE.fullmatch(normalized, quantity.end, run[0].start):
            break
        run.insert(0, quantity)
    return run


def _coordinated_run(normalized: str, quantities: list[Quantity]) -> list[Quantity]:
    run = [quantities[0]]
    for quantity in quantities[1:]:
        if _COORDINATION_GAP_RE.fullmatch(normalized, run[-1].end, quantity.start):
            run.append(quantity)
        else:
            break
    return run


def _casualty_noun_value(found: re.Match) -> int | None:
    noun = found.group("noun")
    number = found.group("number")
    if found.string[max(0, found.start("noun") - 2):found.start("noun")] == "ال" \
            and (not number or parse_number(number) is None):
        return None  # "وأضاف أن الجريحين نقلا …": the victims told before, not a new count
    if noun in _DUAL_CASUALTY:
        return 2
    if number:
        value = parse_number(number)
        if value is not None:
            return value
    return 1 if noun in _SINGLE_CASUALTY else None
