"""Articles made to be slow or strange for the extractor finish, and give values the database
can hold.

No test here asserts a duration (the project's rule: no timed assertions). Each article is read
in its own process with a generous timeout, so that a hang fails the test instead of the suite;
the time it took is recorded as a test property and reported in docs/reliability.md.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from conftest import REPO

TIMEOUT_SECONDS = 60
LARGEST_INTEGER = 2 ** 31 - 1  # the INTEGER columns of mentions and incidents
NEWS_WORDS = ("قال مصدر أمني إن صاروخا سقط على قاعدة عين الأسد في محافظة الأنبار وأسفر عن مقتل جنديين "
              "وإصابة ثلاثة آخرين بجروح").split()
ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"

EXTRACT_ONE = """
import dataclasses, datetime as dt, json, sys, time
from tasks.extract import ArticleInput, extract_article
text = open(sys.argv[1], encoding="utf-8").read()
started = time.perf_counter()
mentions = extract_article(ArticleInput("adversarial", text, dt.datetime(2020, 11, 17, 12, tzinfo=dt.timezone.utc)))
integers = [getattr(m, f.name) for m in mentions for f in dataclasses.fields(m)]
integers = [abs(v) for v in integers if isinstance(v, int) and not isinstance(v, bool)]
print(json.dumps({"seconds": round(time.perf_counter() - started, 2), "mentions": len(mentions),
                  "largest_integer": max(integers, default=0)}))
"""


def words_without_punctuation(vocabulary, size_bytes: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    words, total = [], 0
    while total < size_bytes:
        word = vocabulary(rng)
        words.append(word)
        total += len(word.encode("utf-8")) + 1
    return " ".join(words)


def random_word(rng) -> str:
    return "".join(rng.choice(ARABIC_LETTERS) for _ in range(rng.randint(2, 8)))


ARTICLES = {
    "5 000 numbers": lambda: "سقط " + " ".join(str(random.Random(i).randint(0, 10 ** 6)) for i in range(5000))
                             + " صاروخ على بغداد.",
    "a number of 100 000 digits": lambda: "سقط " + "7" * 100_000 + " صاروخ على بغداد.",
    "the trigger word 100 000 times": lambda: "صاروخ " * 100_000,
    "5 MB paragraph without punctuation": lambda: words_without_punctuation(random_word, 5_000_000),
    "850 000 nested quotation marks": lambda: "قال المصدر \"«صاروخ " * 50_000,
    "200 000 commas": lambda: "صاروخ، " * 200_000,
    "counts too large for the database": lambda: (
        "سقط صاروخ على قاعدة بلد الجوية فجر اليوم وأسفر عن مقتل 99999999999 جنديا وإصابة "
        + "3" * 5000 + " آخرين."),
    "5 MB paragraph of attack vocabulary": lambda: words_without_punctuation(lambda rng: rng.choice(NEWS_WORDS),
                                                                            5_000_000),
    "100 000 one-word lines": lambda: "صاروخ\n" * 100_000,
}


@pytest.mark.slow
@pytest.mark.parametrize("article", list(ARTICLES))
def test_adversarial_article_finishes_with_storable_values(article, tmp_path, record_property):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLES[article](), encoding="utf-8")
    try:
        done = subprocess.run([sys.executable, "-c", EXTRACT_ONE, str(path)], cwd=REPO, capture_output=True,
                              text=True, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"extracting '{article}' did not finish in {TIMEOUT_SECONDS} s")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    record_property("extract_seconds", result["seconds"])
    assert result["largest_integer"] <= LARGEST_INTEGER


def test_article_with_an_absurd_count_does_not_stop_the_run(inbox, db_path, run, sql):
    (inbox / "absurd.txt").write_text(ARTICLES["counts too large for the database"](), encoding="utf-8")
    (inbox / "report.txt").write_text("أفاد مصدر أمني بسقوط 3 صواريخ على المنطقة الخضراء في بغداد مساء اليوم.",
                                      encoding="utf-8")
    run(inbox, db_path)
    assert sql(db_path, "SELECT count(*) FROM articles") == [(2,)]
