"""``smtpshell learn``: listing, checking, and clear errors."""

from __future__ import annotations

from smtpshell.cli import main


def test_listing_shows_every_lesson_with_progress(capsys):
    from smtpshell.learn.progress import ProgressStore

    ProgressStore().record("02-ehlo-extensions", 2, 5)
    assert main(["learn"]) == 0
    out = capsys.readouterr().out
    assert "01  The greeting" in out
    assert "at step 3 of 5" in out
    assert "11  PIPELINING" in out


def test_check_runs_a_solution(capsys, tmp_path):
    assert main(["learn", "--check", "1"]) == 0
    assert capsys.readouterr().out == "ok   01-greeting: 4 steps\n"
    broken = tmp_path / "broken.lesson"
    broken.write_text("title: Broken\n## Wrong\nNOOP\nexpect 550\n")
    assert main(["learn", "--check", str(broken)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL broken: step 1 of 1: ")
    assert "expected 550, got 250" in out


def test_bad_lessons_exit_2_with_one_line(capsys, tmp_path):
    assert main(["learn", "nonsense"]) == 2
    assert "no lesson 'nonsense'" in capsys.readouterr().err
    malformed = tmp_path / "malformed.lesson"
    malformed.write_text("title: x\n## a\nexpect 250\n")
    assert main(["learn", str(malformed)]) == 2
    assert f"{malformed}:3: an expect line needs a command" in capsys.readouterr().err
