"""Numbers and counted nouns in normalized Arabic text.

``parse_number`` reads a number phrase ("7", "1,200", "خمسه وعشرين", "ثلاث مئه", "الفين");
``find_quantities`` finds every counted noun in a sentence ("7 صواريخ", "قذيفتا هاون",
"صاروخين اثنين", "اربعه من الصواريخ", "عدد من الصواريخ", "جندي عراقي").

Everything works on text already passed through ``normalize``; the lexicons and the word lists
below are written in ordinary spelling and normalized when first used. All the patterns are
built once into a single regex: an article is scanned by the regex engine in one pass, and
Python only looks at the few places where a count was found.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from incidents import LEXICON_DIR
from incidents.arabic.lexicon import word_alternation
from incidents.arabic.normalize import normalize, squeeze_spaces

NUMBER_WORDS_CSV = LEXICON_DIR / "number_words.csv"
COUNT_NOUNS_CSV = LEXICON_DIR / "count_nouns.csv"

# Words that count nothing but sit where a number would: "صواريخ ثلاث مرات" is three times,
# not three rockets. They matter only after a noun: a number before a unit is never followed
# by a count noun, so it is never read as a count.
_UNITS = (
    "ثانية ثوان دقيقة دقائق دقيقتين دقيقتان ساعة ساعات ساعتين ساعتان يوم أيام يومين يومان يوماً "
    "أسبوع أسابيع أسبوعين شهر أشهر شهور شهرين عام أعوام عامين سنة سنوات سنتين مرة مرات مرتين "
    "كلم كم كيلومتر كيلومترات كيلومتراً متر أمتار متراً ملم"
)
# "عدد من" may be enlarged or shrunk before its "من": "عدد كبير من", "وابل كثيف من".
_SIZE_ADJECTIVES = "كبير كبيرة قليل قليلة هائل هائلة كثيف كثيفة ضخم ضخمة محدود محدودة"
# Vague words that follow their noun instead of leading it: "صواريخ عدة".
_POSTPOSED_VAGUE = "عدة عديدة"
# "one of the X": a single member of a set the report counts elsewhere.
_ONE_OF = "أحد إحدى"
# "بعض الصواريخ" is part of a known set, unlike "عدد من الصواريخ", which only says "several".
_SOME_OF = "بعض"
# "عدد الصواريخ" is "the number of rockets"; only "عدد من" counts anything.
_NUMBER_OF = "عدد"
# A singular noun after these is not a count of one: "أي صاروخ", "كل صاروخ" (ordinals too); after
# قد a verb stands, never a noun: "كان قد أمر به" is "had ordered it", not "a commander" (آمر).
_NOT_ONE_AFTER = "أي كل نفس آخر قد لقد"
# A quantity right after these is a subset of the one before it: "ثلاثة مدنيين بينهم طفل".
_SUBSET_MARKERS = "بينهم بينهن بينهما منهم منهن منهما"
# Nisba words used as often as adjectives ("مصدر عسكري", "المجتمع المدني") as nouns: a lone
# singular one is not taken as one person; with a number ("2500 عسكري") it is.
_ADJECTIVE_LEMMAS = "مدني عسكري"
# An indefinite noun followed by a definite word is in construct ("جندي الجيش") and names a
# known person or thing, except before these words, whose article is only spelling.
_ARTICLE_SPELLED_WORDS = "إلى إلا الآن الذي التي"
# The nisba adjective names the projectile of a salvo: "رشقة صاروخية".
_SALVO_ADJECTIVES = "صاروخي صاروخية"
_SALVO_LEMMA = "صاروخ"

_POSSESSIVE_SUFFIX = r"(?:هما|هم|هن|ها|ه|نا|كم)"
# Conjunction and preposition proclitics: "وثلاثة", "بصاروخ", "ب2500" (from "بـ2500").
_PROCLITIC = r"(?:[وف]?[بل]|[وف])?"
# normalize() turns the Arabic thousands separator into "'" and the Arabic comma into ",".
_DIGITS = r"(?:\d{1,3}(?:[,']\d{3})+|\d+)(?!\w)"
_WORD_END = r"(?!\w)"
_LAST_WORD = re.compile(r"(\w+)\s+$")
_THOUSANDS_SEPARATOR = re.compile(r"[,']")


@dataclass(frozen=True)
class Quantity:
    """A counted noun: ``text[start:end]`` covers the number (or vague word) and the noun.

    ``value`` is None when ``vague`` ("عدد من الصواريخ"). ``partitive`` marks a part of a set
    counted elsewhere ("احد الصواريخ", "اربعه من الصواريخ", "بينهم طفل"), not a total.
    """

    start: int
    end: int
    value: int | None
    lemma: str
    category: str
    weapon: str | None
    vague: bool
    text: str
    partitive: bool = False


@dataclass(frozen=True)
class _Noun:
    lemma: str
    number: str
    category: str
    weapon: str | None


@dataclass(frozen=True)
class _Lexicon:
    number_values: dict[str, tuple[int, str]]
    vague_words: frozenset[str]
    ordinals: dict[str, int]
    nouns: dict[str, _Noun]
    number_of: str
    some_of: str
    salvo_noun: _Noun
    not_one_after: frozenset[str]
    subset_markers: frozenset[str]
    adjective_lemmas: frozenset[str]
    number_phrase: re.Pattern[str]
    number_token: re.Pattern[str]
    construct_follows: re.Pattern[str]
    quantity: re.Pattern[str]


def parse_number(phrase: str) -> int | None:
    """The value of a normalized number phrase, or None when it is not one.

    Digits may carry thousands separators ("1,200"); words may be compounded with و
    ("خمسه وعشرين") or multiplied ("ثلاث مئه", "ثلاثه الاف"). Vague words ("الاف" alone,
    "عشرات") and ordinals have no value here.
    """
    lexicon = _lexicon()
    phrase = squeeze_spaces(phrase)
    if phrase in lexicon.vague_words or not lexicon.number_phrase.fullmatch(phrase):
        return None
    total = 0
    below_thousand = 0
    for token in lexicon.number_token.findall(phrase):
        if token[0].isdigit():
            below_thousand += int(_THOUSANDS_SEPARATOR.sub("", token))
            continue
        value, kind = lexicon.number_values[squeeze_spaces(token)]
        if kind == "thousands":
            total += below_thousand * value if below_thousand and value == 1000 else value
            below_thousand = 0
        elif kind == "hundreds" and below_thousand and value == 100:
            below_thousand *= 100
        else:
            below_thousand += value
    return total + below_thousand


def noun_lemma(word: str) -> str | None:
    """The lemma of a normalized count noun in any of its forms (المدنيين → مدني), or None."""
    noun = _lexicon().nouns.get(word[2:] if word.startswith("ال") else word)
    return noun.lemma if noun is not None else None


def ordinal_value(word: str) -> int | None:
    """The rank of a normalized ordinal 1-10 ("الثالث", "ثالثه"), or None."""
    return _lexicon().ordinals.get(word)


def find_quantities(text: str) -> list[Quantity]:
    """Every counted noun in a normalized sentence or article, in text order.

    A plural noun without a number ("سقطت صواريخ") and a number without a noun ("سقط 4 منها",
    "عام 2014", "48 ساعه") are not quantities.
    """
    lexicon = _lexicon()
    quantities: list[Quantity] = []
    previous_noun_end = -1
    for match in lexicon.quantity.finditer(text):
        if match["v_word"]:
            quantity = _vague_quantity(match, lexicon)
        elif match["o_word"]:
            quantity = _one_of_quantity(match, lexicon)
        elif match["n_number"]:
            quantity = _counted_quantity(match, lexicon)
        elif match["d_article"]:
            quantity = _definite_counted_quantity(match, lexicon)
        else:
            quantity = _bare_noun_quantity(match, lexicon, previous_noun_end)
        previous_noun_end = match.end()
        if quantity is None:
            continue
        if not quantity.partitive and _follows_subset_marker(text, quantity.start, lexicon):
            quantity = dataclasses.replace(quantity, partitive=True)
        quantities.append(quantity)
    return quantities


def _vague_quantity(match: re.Match[str], lexicon: _Lexicon) -> Quantity | None:
    word = match["v_word"]
    if word == lexicon.number_of and not match["v_of"]:
        return None
    noun = lexicon.salvo_noun if match["v_salvo"] else lexicon.nouns[squeeze_spaces(match["v_noun"])]
    return _quantity(match, "v_word", None, noun, vague=True, partitive=word == lexicon.some_of)


def _one_of_quantity(match: re.Match[str], lexicon: _Lexicon) -> Quantity:
    noun = lexicon.nouns[squeeze_spaces(match["o_noun"])]
    return _quantity(match, "o_word", 1, noun, partitive=True)


def _counted_quantity(match: re.Match[str], lexicon: _Lexicon) -> Quantity | None:
    value = parse_number(match["n_number"])
    if value is None:
        return None
    noun = lexicon.nouns[squeeze_spaces(match["n_of_noun"] or match["n_noun"])]
    return _quantity(match, "n_number", value, noun, partitive=match["n_of"] is not None)


def _definite_counted_quantity(match: re.Match[str], lexicon: _Lexicon) -> Quantity | None:
    value = parse_number(match["d_number"])
    if value is None:
        return None
    noun = lexicon.nouns[squeeze_spaces(match["d_noun"])]
    return _quantity(match, "d_article", value, noun)


def _bare_noun_quantity(match: re.Match[str], lexicon: _Lexicon, previous_noun_end: int) -> Quantity | None:
    text = match.string
    noun_start, noun_end = match.span("a_noun")
    # A count noun right after another agrees with it as an adjective: "شخصان مدنيان".
    if noun_start == match.start() and previous_noun_end >= 0 and not text[previous_noun_end:noun_start].strip():
        return None
    noun = lexicon.nouns[squeeze_spaces(match["a_noun"])]
    if match["a_vague"]:
        return _quantity(match, "a_noun", None, noun, vague=True)
    if match["a_number"]:
        value = parse_number(match["a_number"])
        if value is not None and _agrees(noun.number, value):
            return _quantity(match, "a_noun", value, noun)
    if noun.number == "dual":
        return _quantity(match, "a_noun", 2, noun, end=noun_end)
    if noun.number == "singular" and _counts_as_one(noun, text, noun_start, noun_end, lexicon):
        return _quantity(match, "a_noun", 1, noun, end=noun_end)
    return None


def _agrees(number: str, value: int) -> bool:
    """Whether a number set after its noun ("صاروخين اثنين") fits the noun's grammatical number.

    Sound masculine plurals in -ين are also duals once unvocalized ("مدنيين اثنين").
    """
    if number == "singular":
        return value == 1
    if number == "dual":
        return value == 2
    return value >= 2


_VICTIM_OF_WORDS = frozenset({"اصابه", "مقتل", "استشهاد", "جرح", "وفاه", "اغتيال", "خطف", "قتل", "استشهد", "اصيب"})


def _counts_as_one(noun: _Noun, text: str, start: int, end: int, lexicon: _Lexicon) -> bool:
    previous = _previous_word(text, start)
    if noun.lemma in lexicon.adjective_lemmas:
        # "مدني" is mostly an adjective (الطيران المدني), but right after "the wounding of",
        # "the killing of" or a verb of them it is the victim: "تسبب في إصابة مدني"، "استشهد مدني".
        return previous is not None and previous.removeprefix("و").removeprefix("ب") in _VICTIM_OF_WORDS \
            and not lexicon.construct_follows.match(text, end)
    if lexicon.construct_follows.match(text, end):
        return False
    return previous not in lexicon.ordinals and previous not in lexicon.not_one_after


def _follows_subset_marker(text: str, start: int, lexicon: _Lexicon) -> bool:
    previous = _previous_word(text, start)
    return previous is not None and previous.removeprefix("و") in lexicon.subset_markers


def _previous_word(text: str, start: int) -> str | None:
    found = _LAST_WORD.search(text, max(0, start - 30), start)
    return found[1] if found else None


def _quantity(
    match: re.Match[str],
    start_group: str,
    value: int | None,
    noun: _Noun,
    *,
    vague: bool = False,
    partitive: bool = False,
    end: int | None = None,
) -> Quantity:
    start = match.start(start_group)
    end = match.end() if end is None else end
    return Quantity(
        start=start,
        end=end,
        value=value,
        lemma=noun.lemma,
        category=noun.category,
        weapon=noun.weapon,
        vague=vague,
        text=match.string[start:end],
        partitive=partitive,
    )


def _normalized(word: str) -> str:
    return squeeze_spaces(normalize(word))


def _normalized_words(words: str) -> frozenset[str]:
    return frozenset(_normalized(word) for word in words.split())


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def nominative_dual(lemma: str) -> str:
    """The nominative dual of a one-word singular noun, as the regular pattern makes it: حارس →
    حارسان, قذيفة → قذيفتان."""
    return (lemma[:-1] + "ت" if lemma.endswith("ة") else lemma) + "ان"


def _count_noun_rows() -> list[dict[str, str]]:
    """The count nouns of the lexicon, and the nominative dual of each one-word noun it lists no
    nominative dual for: a noun added in the singular is counted in the dual too ("وأصيب حارسان" is two
    injured). Not the oblique dual: unvowelled, it is the sound plural of many nouns (عاملين is
    two workers or workers)."""
    rows = _read_rows(COUNT_NOUNS_CSV)
    with_dual = {row["lemma"] for row in rows if row["number"] == "dual" and row["form"].endswith("ان")}
    derived = [dict(row, form=nominative_dual(row["lemma"]), number="dual") for row in rows
               if row["number"] == "singular" and row["form"] == row["lemma"] and " " not in row["lemma"]
               and row["lemma"] not in with_dual]
    return rows + derived


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    number_values: dict[str, tuple[int, str]] = {}
    words_by_kind: dict[str, list[str]] = {}
    vague_words: set[str] = set()
    ordinals: dict[str, int] = {}
    for row in _read_rows(NUMBER_WORDS_CSV):
        word, kind = _normalized(row["word"]), row["kind"]
        if kind == "vague":
            vague_words.add(word)
        elif kind == "ordinal":
            ordinals[word] = int(row["value"])
        else:
            number_values[word] = (int(row["value"]), kind)
            words_by_kind.setdefault(kind, []).append(word)

    nouns: dict[str, _Noun] = {}
    indefinite_forms: list[str] = []
    plural_forms: list[str] = []
    # A definite multiword plural has the article on every word ("الطائرات المسيره"): the
    # pattern matches the first article, then this tail ("طائرات المسيره").
    definite_plural_tails: list[str] = []
    for row in _count_noun_rows():
        form = _normalized(row["form"])
        noun = _Noun(_normalized(row["lemma"]), row["number"], row["category"], row["weapon"] or None)
        nouns[form] = noun
        indefinite_forms.append(form)
        if noun.number == "plural":
            first, *rest = form.split(" ")
            tail = " ".join([first, *("ال" + word for word in rest)])
            nouns[tail] = noun
            plural_forms += [form, tail]
            definite_plural_tails.append(tail)

    grammar = _NumberGrammar(words_by_kind, number_values)
    article_spelled = word_alternation(_normalized_words(_ARTICLE_SPELLED_WORDS))
    return _Lexicon(
        number_values=number_values,
        vague_words=frozenset(vague_words),
        ordinals=ordinals,
        nouns=nouns,
        number_of=_normalized(_NUMBER_OF),
        some_of=_normalized(_SOME_OF),
        salvo_noun=nouns[_normalized(_SALVO_LEMMA)],
        not_one_after=_normalized_words(_NOT_ONE_AFTER),
        subset_markers=_normalized_words(_SUBSET_MARKERS),
        adjective_lemmas=_normalized_words(_ADJECTIVE_LEMMAS),
        number_phrase=re.compile(grammar.number),
        number_token=re.compile(
            rf"(?<!\w)(?:و\s*)?({_DIGITS}|{word_alternation(number_values)}{_WORD_END})"
        ),
        construct_follows=re.compile(rf"\s+(?!{article_spelled}{_WORD_END})ال\w"),
        quantity=re.compile(
            _quantity_pattern(grammar, vague_words, plural_forms, definite_plural_tails, indefinite_forms)
        ),
    )


class _NumberGrammar:
    """Regex sources for number phrases, built from the lexicon's kinds of words.

    A grammar, rather than any run of number words, keeps a number from swallowing the next
    one: units do not add up with و, so "اثنين وثلاثه" is not read as one number.
    """

    def __init__(self, words_by_kind: dict[str, list[str]], values: dict[str, tuple[int, str]]):
        def words(kind: str, keep=lambda value: True) -> str:
            return word_alternation(w for w in words_by_kind[kind] if keep(values[w][0])) + _WORD_END

        unit = words("cardinal", lambda value: value <= 10)
        teen = words("cardinal", lambda value: value > 10)
        tens = words("tens")
        # Only the bare base words multiply: "ثلاث مئه", "ثلاثه الاف", not "ثلاث مئتين".
        hundred = words("hundreds", lambda value: value == 100)
        hundreds = words("hundreds")
        thousand = words("thousands", lambda value: value == 1000)
        thousands = words("thousands")
        conjunction = r"\s+و\s*"
        below_hundred = f"(?:{teen}|{unit}(?:{conjunction}{tens})?|{tens})"
        below_thousand = (
            rf"(?:(?:{unit}\s+{hundred}|{hundreds})(?:{conjunction}{below_hundred})?|{below_hundred})"
        )
        self.words = (
            rf"(?:(?:{below_thousand}\s+{thousand}|{thousands})(?:{conjunction}{below_thousand})?"
            rf"|{below_thousand})"
        )
        self.number = rf"(?:{_DIGITS}(?:\s+{thousand})?|{self.words})"


def _quantity_pattern(
    grammar: _NumberGrammar,
    vague_words: Iterable[str],
    plural_forms: list[str],
    definite_plural_tails: list[str],
    indefinite_forms: list[str],
) -> str:
    """One regex with a branch per construction; group prefixes say which branch matched.

    Branch order matters only where two constructions start at the same word: the vague and
    "one of" readings are tried before a plain number ("احد عشر" fails as "one of").
    """
    plural = word_alternation(plural_forms)
    any_noun = word_alternation(indefinite_forms)
    size = word_alternation(_normalized_words(_SIZE_ADJECTIVES))
    salvo = word_alternation(_normalized_words(_SALVO_ADJECTIVES))
    units = word_alternation(_normalized_words(_UNITS))
    vague = (
        rf"{_PROCLITIC}(?P<v_word>{word_alternation(vague_words)}){_WORD_END}"
        rf"(?:\s+(?:غير\s+)?{size}{_WORD_END})?(?:\s+(?P<v_of>من))?"
        rf"\s+(?:(?:ال)?(?P<v_noun>{plural}){_POSSESSIVE_SUFFIX}?|(?P<v_salvo>{salvo})){_WORD_END}"
    )
    one_of = (
        rf"(?:[وف]?[بل])?(?P<o_word>{word_alternation(_normalized_words(_ONE_OF))})"
        rf"\s+(?:من\s+)?(?:ال)?(?P<o_noun>{plural}){_POSSESSIVE_SUFFIX}?{_WORD_END}"
    )
    counted = (
        rf"{_PROCLITIC}(?P<n_number>{grammar.number})(?:\s*\(\s*[\d,']+\s*\))?\s+"
        rf"(?:(?P<n_of>من)\s+(?:ال)?(?P<n_of_noun>{plural}){_POSSESSIVE_SUFFIX}?|(?P<n_noun>{any_noun}))"
        rf"{_WORD_END}"
    )
    definite_counted = (
        rf"[وف]?[بك]?(?P<d_article>ال|لل)(?P<d_noun>{word_alternation(definite_plural_tails)}){_WORD_END}"
        rf"\s+ال(?P<d_number>{grammar.number})"
    )
    # A number after a noun is its apposition ("صاروخين اثنين") unless it starts something
    # else: "صواريخ ثلاث مرات", "صواريخ خمسه منها", "جنديين ثلاثه مدنيين".
    starts_something_else = rf"\s+(?:من|(?:{units}|{any_noun}){_WORD_END})"
    bare_noun = (
        rf"{_PROCLITIC}(?P<a_noun>{any_noun}){_WORD_END}"
        rf"(?:\s+(?:(?P<a_vague>{word_alternation(_normalized_words(_POSTPOSED_VAGUE))}){_WORD_END}"
        rf"|(?P<a_number>{grammar.words})(?!{starts_something_else})))?"
    )
    return rf"(?<!\w)(?:{vague}|{one_of}|{counted}|{definite_counted}|{bare_noun})"


