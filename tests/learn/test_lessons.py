"""Every shipped lesson, end to end: its own solution, typed into a fresh runner against a
practice server set up as the lesson asks, completes every step.  This is the CI check."""

from __future__ import annotations

import pytest

from smtpshell.learn.catalog import find_lesson, shipped_lessons
from smtpshell.learn.runner import Verdict, check_solution
from smtpshell.wiring import new_engine

SHIPPED = shipped_lessons()


def test_the_course_is_complete():
    assert [ref.name for ref in SHIPPED] == [
        "01-greeting",
        "02-ehlo-extensions",
        "03-envelope-vs-headers",
        "04-data-and-dot-stuffing",
        "05-reply-codes",
        "06-errors-and-retries",
        "07-starttls",
        "08-auth",
        "09-lmtp",
        "10-smtputf8",
        "11-pipelining",
        "12-dsn-and-bounces",
        "13-bdat-chunking",
        "14-mime-attachments",
        "15-smtp-smuggling",
        "16-mx-and-relaying",
        "17-spf-dkim-dmarc",
    ]


@pytest.mark.parametrize("ref", SHIPPED, ids=[ref.name for ref in SHIPPED])
def test_shipped_lesson_solution_runs_end_to_end(ref):
    lesson = ref.load()
    verdicts = []
    report = check_solution(
        lesson, engine=new_engine(timeout=15), on_feedback=lambda f: verdicts.append(f.verdict)
    )
    assert report.ok, report.reason
    assert report.steps_done == len(lesson.steps)
    assert Verdict.NOT_YET not in verdicts  # the solution never looks like a mistake
    assert all(step.hint or step.reading for step in lesson.steps), "every step says what to type"
    assert lesson.rfcs and lesson.minutes


@pytest.mark.parametrize(
    ("spec", "name"),
    [("1", "01-greeting"), ("02", "02-ehlo-extensions"), ("auth", "08-auth"), ("lmtp", "09-lmtp")],
)
def test_lessons_are_found_by_number_or_name(spec, name):
    assert find_lesson(spec).name == name


def test_a_lesson_file_is_found_by_path(tmp_path):
    path = tmp_path / "mine.lesson"
    path.write_text("title: Mine\n## Hello\nNOOP\nexpect 250\n")
    ref = find_lesson(str(path))
    assert ref.key == str(path.resolve()) and not ref.shipped
    assert ref.load().title == "Mine"


def test_unknown_lessons_list_the_known_ones(tmp_path):
    with pytest.raises(LookupError, match="01-greeting"):
        find_lesson("nonsense")
    with pytest.raises(LookupError, match="no lesson file"):
        find_lesson(str(tmp_path / "missing.lesson"))


def test_the_example_in_docs_teaching_md_works():
    """The lesson shown in "Writing your own lesson" parses and passes --check."""
    from pathlib import Path

    from smtpshell.learn.lesson import parse_lesson

    doc = (Path(__file__).parents[2] / "docs" / "teaching.md").read_text()
    section = doc[doc.index("## Writing your own lesson") :]
    start = section.index("```text\n") + len("```text\n")
    example = section[start : section.index("\n```", start)]
    lesson = parse_lesson(example, "teaching.md")
    report = check_solution(lesson, engine=new_engine(timeout=15))
    assert report.ok, report.reason
