"""Which task runner a run gets when the user leaves it to the tool."""

from __future__ import annotations

import pytest

from incidents import runner
from incidents.settings import Settings


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(runner, "PROCESSES_FROM_FILES", 4)


def write_articles(inbox, names):
    for name in names:
        (inbox / name).write_text("سقطت ثلاثة صواريخ على قاعدة بلد الجوية فجر اليوم.", encoding="utf-8")


def test_auto_uses_processes_for_a_large_first_run_and_threads_for_the_nights_after(
        small_threshold, inbox, db_path, run):
    write_articles(inbox, [f"a{n}.txt" for n in range(5)])
    settings = Settings.build(inbox=inbox, db=db_path, task_runner="auto")
    assert runner.resolved_task_runner(settings) == "processes"

    run(inbox, db_path)
    write_articles(inbox, ["b1.txt", "b2.txt"])
    assert runner.resolved_task_runner(settings) == "threads"


def test_a_runner_the_user_names_is_kept(small_threshold, inbox, db_path):
    write_articles(inbox, [f"a{n}.txt" for n in range(5)])
    assert runner.resolved_task_runner(Settings.build(inbox=inbox, db=db_path, task_runner="threads")) == "threads"
