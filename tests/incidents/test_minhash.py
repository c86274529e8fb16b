"""Near copies as a reader of the incident database meets them: an agency report and its
re-publications are linked, a different report of the same kind of event is not."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import numpy as np
import pytest

from incidents.arabic.normalize import normalize
from incidents.minhash import (
    MinHashParams,
    band_keys,
    candidate_pairs,
    estimated_jaccard,
    near_copies,
    shingle_hashes,
    signatures,
)

REPORT = [
    "بغداد - وكالة الرافد: سقطت ثلاثة صواريخ من نوع كاتيوشا مساء يوم الثلاثاء على محيط مطار بغداد "
    "الدولي، من دون أن تسفر عن خسائر بشرية، بحسب ما أفاد به مصدر أمني. وقال المصدر إن الصواريخ "
    "أطلقت من منطقة زراعية تقع جنوب غرب العاصمة، وسقط اثنان منها في أرض خالية قرب السياج الخارجي للمطار.",
    "وأضاف أن الصاروخ الثالث سقط على موقف للسيارات تابع لإحدى الشركات الأجنبية العاملة في المطار، ما "
    "ألحق أضرارا مادية بعدد من العجلات المدنية. وأكد أن فرق الدفاع المدني وصلت إلى المكان خلال دقائق "
    "وتمكنت من إخماد حريق صغير اندلع في إحدى السيارات.",
    "من جهتها، ذكرت خلية الإعلام الأمني في بيان مقتضب أن القوات الأمنية عثرت على منصة الإطلاق في بستان "
    "مهجور بمنطقة الرضوانية، وكانت المنصة تحتوي على صاروخ رابع لم ينطلق بسبب عطل فني. وأضاف البيان أن "
    "فرق الهندسة العسكرية فككت الصاروخ ونقلته إلى موقع آمن.",
    "وأعلنت قيادة العمليات المشتركة فتح تحقيق عاجل لمعرفة الجهة التي تقف وراء الهجوم، مؤكدة أنها لن "
    "تسمح بتكرار مثل هذه الاعتداءات التي تستهدف المنشآت الحيوية. كما وجه القائد العام للقوات المسلحة "
    "بتعزيز الإجراءات الأمنية في محيط المطار ونشر دوريات إضافية على الطرق المؤدية إليه.",
    "ولم تعلن أي جهة مسؤوليتها عن الهجوم حتى ساعة إعداد هذا الخبر. ويعد هذا الهجوم الثالث من نوعه الذي "
    "يستهدف المطار منذ مطلع الشهر الجاري، إذ سبقه هجومان بطائرات مسيرة أسقطت الدفاعات الجوية إحداهما "
    "قبل وصولها إلى هدفها.",
    "وقال سائق أجرة كان ينتظر المسافرين عند البوابة الرئيسية إنه سمع دوي انفجارين متتاليين قرابة الساعة "
    "التاسعة مساء، مضيفا أن الحركة توقفت لنحو نصف ساعة قبل أن تعود إلى طبيعتها. وأشار إلى أن عددا من "
    "المسافرين فضلوا البقاء داخل صالة الانتظار خوفا من سقوط صواريخ أخرى.",
    "وفي ردود الفعل، دان وزير الخارجية الهجوم ووصفه بأنه محاولة يائسة لزعزعة الاستقرار والإساءة إلى "
    "علاقات البلاد مع شركائها الدوليين. ودعا الوزير في اتصال هاتفي مع عدد من السفراء المعتمدين إلى عدم "
    "الالتفات إلى ما وصفها بالأعمال الإرهابية المعزولة.",
    "وأكدت سلطة الطيران المدني أن حركة الملاحة الجوية لم تتأثر بالهجوم، وأن الرحلات المجدولة أقلعت "
    "وهبطت في مواعيدها المحددة. وأوضحت في بيان أن فرقها الفنية أجرت مسحا شاملا لمدارج المطار ولم تسجل "
    "أي أضرار فيها.",
]
NEW_LEAD = (
    "نقلت وسائل إعلام محلية عن مصادر ميدانية تفاصيل جديدة بشأن الهجوم الصاروخي الذي استهدف محيط مطار "
    "بغداد الدولي ليلة الثلاثاء."
)
# Another attack on the same airport, told in other words (with the usual agency phrases).
SAME_PLACE_OTHER_ATTACK = "\n\n".join([
    "بغداد - صحيفة الفجر: استهدف هجوم بطائرتين مسيرتين فجر يوم الجمعة قاعدة عسكرية ملاصقة لمطار بغداد "
    "الدولي، وأفادت مصادر عسكرية بأن منظومة الدفاع الجوي اعترضت الطائرتين وأسقطتهما في أرض مفتوحة غرب "
    "العاصمة قبل بلوغ القاعدة.",
    "وقال ضابط في القاعدة، طلب عدم الكشف عن اسمه، إن صفارات الإنذار دوت قرابة الساعة الرابعة فجرا، وإن "
    "الجنود احتموا في الملاجئ إلى أن أعلن انتهاء الخطر بعد نحو ساعة. وأوضح أن حطام إحدى الطائرتين سقط "
    "على سطح مخزن للمعدات وأحدث فيه ثقبا صغيرا.",
    "وذكرت خلية الإعلام الأمني أن الطائرتين كانتا محملتين بمواد متفجرة، وأن فريقا مختصا يفحص الحطام "
    "لتحديد مصدره ومسار الطيران الذي سلكه. ولم تعلن أي جهة مسؤوليتها عن الهجوم حتى الآن.",
    "ويأتي الهجوم بعد أسبوعين من قرار الحكومة نقل مقر إحدى الفرق العسكرية إلى القاعدة، وهو ما اعترضت "
    "عليه فصائل مسلحة في بيانات متفرقة، فيما دعا نواب عن العاصمة إلى حماية المنشآت المدنية القريبة من "
    "المواقع العسكرية.",
    "وبحسب موظفين في المطار، فإن الرحلات الصباحية تأخرت ساعتين بانتظار انتهاء عمليات التفتيش في "
    "محيط المدرجات، واستؤنفت الحركة بشكل طبيعي عند الظهر.",
])
ECONOMY_REPORT = (
    "البصرة - وكالة الجسر: ارتفعت صادرات النفط من موانئ الجنوب خلال شهر آذار إلى نحو 98 مليون برميل، "
    "بحسب بيانات وزارة النفط. وقالت الوزارة إن الإيرادات بلغت تسعة مليارات دولار، مشيرة إلى أن الأسعار "
    "العالمية ساعدت على تعويض تراجع الكميات المصدرة عبر الموانئ الشمالية."
)
REPLACEMENTS = ["كذلك", "أيضا", "مجددا", "رسميا", "نحو", "قرابة", "لاحقا", "فورا"]


def with_words_changed(text: str, every: int) -> str:
    """``text`` with one word in ``every`` replaced by another."""
    words = text.split(" ")
    for index in range(every // 2, len(words), every):
        words[index] = REPLACEMENTS[index % len(REPLACEMENTS)]
    return " ".join(words)


def republished(words_changed_every: int) -> str:
    """The report as a second outlet runs it: its own lead, the eyewitness paragraph dropped,
    some words changed."""
    kept = [NEW_LEAD, *REPORT[:5], *REPORT[6:]]
    return with_words_changed("\n\n".join(kept), words_changed_every)


ORIGINAL = "\n\n".join(REPORT)
LIGHTLY_EDITED = republished(words_changed_every=60)
TENTH_OF_WORDS_CHANGED = republished(words_changed_every=10)


def found_pairs(texts: list[str], params: MinHashParams = MinHashParams()) -> set[tuple[int, int]]:
    result = near_copies([normalize(t) for t in texts], params)
    return {(int(i), int(j)) for i, j in result.pairs}


def similarity(a: str, b: str, params: MinHashParams = MinHashParams()) -> float:
    sigs = signatures([normalize(a), normalize(b)], params)
    return float(estimated_jaccard(sigs[0], sigs[1]))


def test_exact_copy_and_republished_copy_are_found_and_other_reports_are_not():
    texts = [ORIGINAL, SAME_PLACE_OTHER_ATTACK, ECONOMY_REPORT, ORIGINAL, LIGHTLY_EDITED]

    # Pairs are (later article, earlier article): the copies 3 and 4 of the original 0.
    assert found_pairs(texts) == {(3, 0), (4, 0), (4, 3)}
    assert similarity(ORIGINAL, ORIGINAL) == 1.0


def test_a_report_about_another_attack_on_the_same_place_is_far_below_the_threshold():
    assert similarity(ORIGINAL, SAME_PLACE_OTHER_ATTACK) < 0.1
    assert found_pairs([ORIGINAL, SAME_PLACE_OTHER_ATTACK], MinHashParams(threshold=0.3)) == set()


def test_a_copy_with_a_tenth_of_its_words_changed_is_found_at_a_lower_threshold():
    # With 3-word shingles one changed word breaks three shingles: a tenth of the words changed,
    # a new lead and a paragraph dropped leave 0.46 of the shingles shared (estimated 0.35 here;
    # 128 permutations estimate with a standard deviation of about 0.045). The threshold is a
    # setting: the default 0.6 finds lighter edits, 0.3 finds such rewrites with a margin.
    texts = [ORIGINAL, SAME_PLACE_OTHER_ATTACK, TENTH_OF_WORDS_CHANGED]

    assert found_pairs(texts, MinHashParams(threshold=0.3)) == {(2, 0)}
    assert found_pairs(texts) == set()


def test_diacritics_and_punctuation_do_not_hide_a_copy():
    decorated = ORIGINAL.replace("سقطت", "سَقَطَتْ").replace("،", " ,").replace(". ", " . ")

    assert similarity(ORIGINAL, decorated) == 1.0


def test_a_nightly_run_compares_new_articles_with_the_stored_ones():
    params = MinHashParams()
    stored = signatures([normalize(ORIGINAL), normalize(SAME_PLACE_OTHER_ATTACK)], params)
    new = [ECONOMY_REPORT, LIGHTLY_EDITED, LIGHTLY_EDITED]

    result = near_copies([normalize(t) for t in new], params, old_signatures=stored)

    # Stored articles are 0 and 1, the new ones 2, 3 and 4.
    assert {(int(i), int(j)) for i, j in result.pairs} == {(1, 0), (2, 0), (2, 3)}
    assert result.signatures.dtype == np.uint32 and result.signatures.shape == (3, params.num_perm)
    assert result.band_keys.dtype == np.int64 and result.band_keys.shape == (3, params.bands)
    assert np.all(result.similarities >= params.threshold)


def test_candidate_pairs_are_the_sql_join_on_band_and_key():
    params = MinHashParams()
    texts = [normalize(t) for t in (ORIGINAL, SAME_PLACE_OTHER_ATTACK, ECONOMY_REPORT, LIGHTLY_EDITED, ORIGINAL)]
    keys = band_keys(signatures(texts, params), params)
    old, new = keys[:2], keys[2:]
    rows = [(article, band, int(keys[article, band])) for article in range(len(texts)) for band in range(params.bands)]

    with duckdb.connect() as db:
        db.execute("CREATE TABLE article_band_keys (article INTEGER, band SMALLINT, band_key BIGINT)")
        db.executemany("INSERT INTO article_band_keys VALUES (?, ?, ?)", rows)
        joined = db.execute(
            "SELECT DISTINCT n.article - 2, o.article FROM article_band_keys n"
            " JOIN article_band_keys o ON o.band = n.band AND o.band_key = n.band_key"
            " WHERE n.article >= 2 AND o.article < n.article ORDER BY 1, 2"
        ).fetchall()

    assert [tuple(pair) for pair in candidate_pairs(new, old).tolist()] == joined


def test_signatures_are_the_same_in_another_process():
    text = normalize(LIGHTLY_EDITED)
    program = (
        "import json, sys\n"
        "from incidents.minhash import MinHashParams, signatures\n"
        "print(json.dumps(signatures([sys.stdin.read()], MinHashParams())[0].tolist()))\n"
    )
    # Another string-hash salt than this process's: Python's hash() must play no part.
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", program], input=text, capture_output=True, text=True, env=environment, check=True
    )

    assert json.loads(done.stdout) == signatures([text])[0].tolist()


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.6, 0.8, 0.95])
def test_bands_and_rows_fit_in_the_signature(num_perm, threshold):
    params = MinHashParams(num_perm=num_perm, threshold=threshold)

    assert params.bands >= 1 and params.rows >= 1
    assert params.bands * params.rows <= num_perm


def test_bands_and_rows_are_datasketchs_choice_for_the_same_weights():
    lsh = pytest.importorskip("datasketch").MinHashLSH
    for threshold in (0.5, 0.6, 0.8):
        for weight in (0.5, 0.7):
            params = MinHashParams(threshold=threshold, false_negative_weight=weight)
            index = lsh(threshold=threshold, num_perm=params.num_perm, weights=(1 - weight, weight))
            assert (params.bands, params.rows) == (index.b, index.r)


@pytest.mark.parametrize("text", ["", "انفجار", "انفجار عنيف", "  ،  "])
def test_a_text_shorter_than_one_shingle_has_one_shingle(text):
    assert len(shingle_hashes(normalize(text), 3)) == 1
    sigs = signatures([normalize(text), normalize(text), normalize(ORIGINAL)])

    assert sigs.shape == (3, MinHashParams().num_perm)
    assert estimated_jaccard(sigs[0], sigs[1]) == 1.0
    assert estimated_jaccard(sigs[0], sigs[2]) == 0.0


def test_short_texts_differ_when_their_words_differ():
    assert not np.array_equal(shingle_hashes("انفجار عنيف", 3), shingle_hashes("انفجار", 3))
    assert len(shingle_hashes("سقط صاروخ على المطار", 3)) == 2
