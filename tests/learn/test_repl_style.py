"""The REPL lesson face's styles (no dim text for a projector) and its screenshots."""

from __future__ import annotations

from smtpshell.repl.lesson import style_rules


def test_presenter_style_has_nothing_dim_or_italic():
    normal, presenter = style_rules(False), style_rules(True)
    assert "brightblack" in normal["hint"]
    for name, rule in presenter.items():
        assert "brightblack" not in rule and "italic" not in rule, name
    assert "bold" in presenter["client"] and "bold" in presenter["learn.text"]


def test_screenshot_styles_translate_and_a_shot_renders(tmp_path):
    from smtpshell.repl.lesson_screenshots import SHOTS, render_shot, rich_style

    assert rich_style("bold ansiwhite bg:ansiblue") == "bold white on blue"
    assert rich_style("ansibrightblack italic") == "bright_black italic"
    path = render_shot(SHOTS[0], tmp_path)
    svg = path.read_text()
    assert svg.startswith("<svg") and "Not" in svg and "yet" in svg
