"""Where an attack happened: its scene among the places a sentence names, and its launch site.

A place that only locates the scene ("north of Baghdad", "80 km from Erbil", شرطة بغداد), a
country that names an actor (مدعومة من إيران) and a state named as the one that fired are not the
scene. Rules: docs/extraction.md, sections 4 and 5.
"""

from __future__ import annotations

import re

from incidents.arabic.facts import Candidate, SentenceFacts
from incidents.arabic.gazetteer import PLACE_QUALIFIERS, PlaceMatch, city_of, contains, distance_km, places
from incidents.arabic.ner import available_recognizer
from incidents.arabic.normalize import normalize

# Two sites this far apart, outside any town, are two scenes (Deir ez-Zor's oil fields).
SEPARATE_SITES_KM = 15.0
LAUNCH_WINDOW_CHARS = 60
_DIRECTION_BEFORE_RE = re.compile(
    r"(?<!\w)(?:[وف]?(?:ال)?(?:شمال|جنوب|شرق|غرب)(?:ي|ا)?|كم|كلم|كيلومترا|كيلومترات|بعد|مسافه"
    # An institution named after a place (شرطة بغداد، قيادة عمليات نينوى، دائرة صحة الرصافة) is
    # not the scene, nor an office (قائممقام جمجمال: the district's mayor).
    r"|[وف]?(?:ل|ب)?(?:ريف|شرطه|قياده|عمليات|محافظ|مجلس|جامعه|مديريه|قائد|مستشفي|مركز شرطه|امن|صحه"
    r"|قائممقام|قائمقام|قائممقاميه|قائمقاميه|مدير ناحيه|مدير قضاء))"
    r"\s+(?:من\s+)?(?:مدينه\s+|منطقه\s+)?\"?$")
# "قرب حدود سوريا"، "بالقرب من الحدود السورية"، "على الحدود مع العراق": the border of a country
# locates a scene on the other side of it as often as on its own.
_BORDER_BEFORE_RE = re.compile(r"(?<!\w)[وفب]?(?:ال)?حدود(?:\s+مع)?\s+$")
_OPERATES_IN_BEFORE_RE = re.compile(
    r"(?<!\w)(?:تعمل|يعمل|تنشط|ينشط|العامله|الناشطه)\s+(?:في\s+|ب)?(?:\S+\s+)?$")
_OUTLET_AFTER_RE = re.compile(r"\s+اليوم\s*\"")
# "“روخاز عامودا” وثلاثة آخرين قتلى": a fighter's nom de guerre is a first name and a home town in
# quotes; a word that makes the name a place ("“مخيم الهول”") is no first name.
_FIRST_NAME_BEFORE_RE = re.compile(r"\"\s*([^\W\d_]+)\s+$")
_PLACE_KIND_WORDS = frozenset(normalize(word) for word in PLACE_QUALIFIERS) | frozenset(
    "محافظه مخيم معسكر قاعده مطار ميناء حقل سجن شارع ساحه جسر".split())
_ACTOR_PREPOSITION_RE = re.compile(r"(?<!\w)(?:من|مع)\s+$")
# "حزب الله الموالي لطهران"، "فصائل مقربة من دمشق"، "الميليشيات التي تدعمها إيران": a capital or
# a state that names a backer, not a place;
# "قوات حكومة دمشق"، "نظام دمشق"، "سلطات أربيل": one that names a government; "سفير طهران في
# العراق" (Tehran's ambassador) one that names a state.
_BACKED_BY_BEFORE_RE = re.compile(
    r"(?<!\w)(?:ال)?(?:موالي|مواليه|موالين|موالون|مقرب|مقربه|مقربين|مدعوم|مدعومه|مدعومين)\s+(?:من\s+)?$"
    r"|(?<!\w)(?:تدعمها|يدعمها|تدعمه|يدعمه|تدعمهم|يدعمهم|تمولها|يمولها|تسلحها|يسلحها)\s+$"
    r"|(?<!\w)[وفلب]?(?:حكومه|نظام|سلطات|سفير|سفيره|سفراء)\s+$")


# The verb of the fall ("أطلقتا من سورية وسقطتا في بلدة …"): a place after it is where they fell.
_FELL_RE = re.compile(r"(?<!\w)[وف]?(?:سقط|سقطت|سقطا|سقطتا|سقطوا|سقوط|انفجر|انفجرت|انفجرا|انفجرتا)(?!\w)")
# "أطلق من منطقة … باتجاه المنطقة الخضراء": where it went is not where it came from.
# Not a hedge (انطلقت على الأرجح من …: most likely launched from).
_TOWARD_RE = re.compile(
    r"(?<!\w)(?:باتجاه|اتجاه|تجاه|نحو|صوب|علي(?!\s+(?:الارجح|الاغلب|الاقل|ما\s+يبدو))|الي)(?!\w)")
# "مطار عربت في مدينة السليمانية": what the report says a site is in.
_SAID_IN_RE = re.compile(r"^[\s\"]*في\s+(?:مدينه\s+|محافظه\s+)?\"?$")


def impact_places(facts: SentenceFacts) -> list[PlaceMatch]:
    launched_from = {id(p) for p in launch_places(facts)}
    return [p for p in facts.places if id(p) not in launched_from and not is_reference_point(facts.normalized, p)
            and not names_the_launcher(facts, p) and not names_a_backer(facts.normalized, p)
            and not in_a_name(facts.normalized, p)]


def in_a_name(normalized: str, place: PlaceMatch) -> bool:
    """A place's name inside another name in quotes: "في حديث لـ\"بغداد اليوم\"" (a news outlet),
    "\"روخاز عامودا\"" (a fighter's nom de guerre)."""
    if _OUTLET_AFTER_RE.match(normalized, place.end):
        return normalized[max(0, place.start - 1):place.start] == '"'
    if normalized[place.end:place.end + 1] != '"':
        return False
    first_name = _FIRST_NAME_BEFORE_RE.search(normalized, max(0, place.start - 20), place.start)
    return first_name is not None and first_name.group(1).removeprefix("ال") not in _PLACE_KIND_WORDS


def names_a_backer(normalized: str, place: PlaceMatch) -> bool:
    return bool(_BACKED_BY_BEFORE_RE.search(normalized[max(0, place.start - 20):place.start]))


def names_the_launcher(facts: SentenceFacts, place: PlaceMatch) -> bool:
    """A state named as the one that fired (شنت طهران، من الأراضي الإيرانية) is where the attack
    came from, not the scene."""
    return any(cue.start <= place.start < cue.end for cue in facts.cues.get("state_launcher", []))


def is_reference_point(normalized: str, place: PlaceMatch) -> bool:
    """"North of Baghdad", "80 km from Erbil", "near the Syrian border": the place locates the
    scene, it is not the scene. A country's own north (شمال شرق الأردن) is in that country."""
    before = normalized[max(0, place.start - 24):place.start]
    if _BORDER_BEFORE_RE.search(before):
        return True
    if place.place.precision == "country" and not re.search(r"(?:كم|كلم|كيلومترا|كيلومترات|بعد|مسافه)\s+(?:من\s+)?$", before):
        return False
    return bool(_DIRECTION_BEFORE_RE.search(before))


def launch_places(facts: SentenceFacts) -> list[PlaceMatch]:
    """The place each launch cue names: the nearest one after it. When the cue names a state as the
    origin ("انطلق من إيران قاعدة عين الأسد"، "انطلق من الأراضي الإيرانية"), the state is the
    origin (if the gazetteer knows it) and the base after it is where it fell."""
    launchers = facts.cues.get("state_launcher", [])
    found = []
    for cue in facts.launch_cues:
        origin = next((l for l in launchers if cue.start <= l.start <= cue.end + 12), None)
        if origin is not None:
            found += [p for p in facts.places if origin.start <= p.start < origin.end][:1]
            continue
        # "أطلقتا من سورية وسقطتا في بلدة قرقميش": a place after the verb of the fall is where they fell.
        fell_at = _fell_at(facts, cue.end)
        after = [p for p in facts.places if 0 <= p.start - cue.end <= LAUNCH_WINDOW_CHARS and p.start < fell_at
                 and not _TOWARD_RE.search(facts.normalized, cue.end, p.start)]
        if after:
            found.append(min(after, key=lambda p: p.start))
    return found


def _fell_at(facts: SentenceFacts, start: int) -> int:
    """Where the verb of the fall stands after ``start`` (the end of the text if none does)."""
    fell = _FELL_RE.search(facts.normalized, start)
    return fell.start() if fell else len(facts.normalized)


def scene_of(sentences: list[SentenceFacts]):
    """The place where the attack happened, as the first sentence naming one says (most precise)."""
    for facts in sentences:
        places = [p.place for p in impact_places(facts) if p.place.precision in ("site", "district", "city")]
        if places:
            return min(places, key=lambda place: place.rank)
    return None


def different_scenes(first, second) -> bool:
    """Two scenes of two attacks: different cities, or two sites far apart outside any city."""
    if first is None or second is None or first.place_id == second.place_id:
        return False
    if contains(first, second) or contains(second, first):
        return False
    first_city, second_city = city_of(first), city_of(second)
    if first_city and second_city:
        return first_city != second_city
    return distance_km(first, second) > SEPARATE_SITES_KM


def place_of(sentences: list[SentenceFacts]) -> tuple[Candidate | None, Candidate | None]:
    impact: list[Candidate] = []
    launch: list[Candidate] = []
    said_in: dict[int, object] = {}  # a site's candidate -> the town the report says it is in
    for facts in sentences:
        launch_ids = {id(p) for p in launch_places(facts)}
        for place, following in zip(facts.places, facts.places[1:]):
            if place.place.precision in ("site", "district") \
                    and _SAID_IN_RE.match(facts.normalized[place.end:following.start]):
                said_in[id(place)] = following.place
        for place in facts.places:
            if (place.place.precision == "country" and names_an_actor(facts.normalized, place)) \
                    or names_a_backer(facts.normalized, place) or in_a_name(facts.normalized, place):
                continue  # "backed by Iran", "loyal to Tehran": an actor, not where it happened
            if id(place) not in launch_ids and names_the_launcher(facts, place):
                continue
            target = launch if id(place) in launch_ids else impact
            confidence = 0.4 if is_reference_point(facts.normalized, place) else 0.8
            target.append(Candidate(place.place, facts, place.start, place.end, confidence))
            if id(place) in said_in:
                said_in[id(target[-1])] = said_in.pop(id(place))
    chosen = None
    scenes = [c for c in impact if c.confidence > 0.5]
    if scenes or impact:
        impact = scenes or impact
        anchor = impact[0].value
        if anchor.precision == "country" and not any(
                c.value.precision != "country" and same_area(anchor, c.value) for c in impact):
            # A country named first ("… in Iran") with no place of its own, then a town in another
            # country: the town says where it happened.
            anchor = next((c.value for c in impact if c.value.precision != "country"), anchor)
        # The most precise place in the same city as the anchor, or said to be in it ("مطار عربت
        # في السليمانية": a site by a smaller town, reported as in the city).
        in_area = [c for c in impact if same_area(anchor, c.value)
                   or (id(c) in said_in and same_area(anchor, said_in[id(c)]))] or impact
        chosen = min(in_area, key=lambda c: (c.value.rank, c.facts.sentence.index, c.start))
        if chosen.confidence <= 0.5:
            # Only "south-west of Kirkuk" is said: the attack was near the town, not in it; its
            # governorate is what the report places it in.
            area = _governorate_of(chosen.value)
            if area is not None:
                chosen = Candidate(area, chosen.facts, chosen.start, chosen.end, chosen.confidence)
    launch_choice = min(launch, key=lambda c: (c.facts.sentence.index, c.value.rank)) if launch else None
    if launch_choice is None:
        launch_choice = launch_text(sentences)
    return chosen, launch_choice


def _governorate_of(place):
    """The governorate a town or site lies in (None for a governorate or a country)."""
    if place.precision in ("governorate", "country"):
        return None
    known = places()
    parent = known.get(place.parent_id) if place.parent_id else None
    while parent is not None and parent.precision not in ("governorate", "country"):
        parent = known.get(parent.parent_id) if parent.parent_id else None
    return parent if parent is not None and parent.precision == "governorate" else None


def place_named_by_model(sentences: list[SentenceFacts]) -> Candidate | None:
    tagger = available_recognizer()
    if tagger is None:
        return None
    for facts in sentences:
        for entity in tagger.entities_in_text(facts.normalized):
            if entity.kind == "LOC":
                start, end = facts.original_span(entity.start, entity.end)
                name = facts.sentence.text[start - facts.sentence.start:end - facts.sentence.start]
                return Candidate(name, facts, entity.start, entity.end, 0.5)
    return None


def names_an_actor(normalized: str, place: PlaceMatch) -> bool:
    before = normalized[max(0, place.start - 6):place.start]
    matched = normalized[place.start:place.end]
    # "الموالية لإيران"; not a site ("استهدافا لقاعدة عين الأسد": an attack on the base).
    loyal_to = matched.startswith(("ل", "ول", "فل")) and not place.place.name_ar.startswith("ل") \
        and place.place.precision not in ("site", "district")
    # "فصائل تنشط في سوريا والعراق": where the group operates, not the scene.
    operates_in = _OPERATES_IN_BEFORE_RE.search(normalized[max(0, place.start - 30):place.start])
    return bool(_ACTOR_PREPOSITION_RE.search(before)) or loyal_to or bool(operates_in)


# The words after "launched from": up to three, not "من قبل" (by whom) nor where it went (على، إلى).
_LAUNCH_WORDS = r"((?:منطقه\s+)?(?!قبل(?!\w))[^\s,.\"]+(?:\s+(?!(?:علي|الي|باتجاه|نحو|صوب)(?!\w))[^\s,.\"]+){0,2})"
_LAUNCH_WORDS_RE = re.compile(r"\s*\"?\s*من\s+" + _LAUNCH_WORDS)
_LAUNCH_WORDS_AFTER_MIN_RE = re.compile(r"\s*\"?\s*" + _LAUNCH_WORDS)


def launch_text(sentences: list[SentenceFacts]) -> Candidate | None:
    """A launch site the gazetteer does not know: the words after 'launched from'."""
    for facts in sentences:
        for cue in facts.launch_cues:
            # Up to the verb of the fall ("أطلقت من ناحية سورية سقطت في ..."); the من may end the cue.
            fell_at = _fell_at(facts, cue.end)
            rest = facts.normalized[cue.end:min(cue.end + 50, fell_at)]
            found = _LAUNCH_WORDS_RE.match(rest) or (_LAUNCH_WORDS_AFTER_MIN_RE.match(rest)
                                                     if cue.phrase.endswith(" من") else None)
            # "انطلق من الأراضي الإيرانية قاعدة …": the state's words only, not the base after them.
            origin = next((l for l in facts.cues.get("state_launcher", []) if cue.start <= l.start <= cue.end + 12), None)
            if found:
                start = cue.end + found.start(1)
                end = cue.end + found.end(1)
                if origin is not None:
                    start, end = max(start, origin.start), origin.end
                span = facts.original_span(start, end)
                original = facts.sentence.text[span[0] - facts.sentence.start:span[1] - facts.sentence.start]
                return Candidate(original, facts, start, end, 0.5)
    return None


def same_area(anchor, other) -> bool:
    anchor_city = anchor.city or (anchor.name_en if anchor.precision == "city" else None)
    other_city = other.city or (other.name_en if other.precision == "city" else None)
    if anchor_city and other_city:
        return anchor_city == other_city
    return anchor.country == other.country and (anchor.admin1 in (None, other.admin1) or other.admin1 is None)
