"""Counts read as English: "1 line", "2 lines", never "line(s)"."""

from smtpshell.shell.results import plural
from smtpshell.wiring import new_engine


def test_plural_forms():
    assert plural(1, "line") == "1 line"
    assert plural(0, "line") == "0 lines"
    assert plural(2048, "byte") == "2,048 bytes"
    assert plural(1, "line was", "lines were") == "1 line was"


def test_engine_notes_use_the_right_form_and_exports_name_an_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with new_engine(scripted=True, timeout=10) as engine:
        engine.connect(None)
        result = engine.run_line("/send a@example.com b@example.com")
        for line in ("Subject: x", "", "hi", "."):
            result = engine.run_line(line)
        notes = [item.text for item in result.items]
        assert "message accepted for 1 of 1 recipient" in notes
        result = engine.run_line("/export out.txt")
        assert f"wrote text to {tmp_path.resolve() / 'out.txt'} " in result.items[0].text
