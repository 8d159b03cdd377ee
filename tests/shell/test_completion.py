"""Completion as a pure function of the text before the cursor."""

from __future__ import annotations

from smtpshell.shell.commands import REGISTRY
from smtpshell.shell.completion import CompletionContext, complete

EHLO_FEATURES = {"size": "1000", "auth": "PLAIN LOGIN XOAUTH2", "dsn": "", "8bitmime": ""}


def texts(text: str, **context: object) -> list[str]:
    ctx = CompletionContext(registry=REGISTRY, **context)  # type: ignore[arg-type]
    return [c.text for c in complete(text, ctx)]


def test_shell_commands_after_slash():
    found = texts("/lo")
    assert found == ["/login"]
    assert "/connect" in texts("/")
    assert set(texts("/e")) >= {"/ehlo", "/explain", "/export", "/expect", "/exit", "/expn"}


def test_aliases_only_when_no_name_matches():
    assert texts("/sa") == ["/save"]


def test_smtp_verbs_in_the_case_typed():
    assert "MAIL" in texts("MA")
    assert "mail" in texts("ma")
    assert "expect" not in texts("ex")
    assert "expect" in texts("ex", scripted=True)


def test_verbs_follow_the_advertised_extensions():
    assert "STARTTLS" not in texts("STA", features={"size": "1"})
    assert "STARTTLS" in texts("STA", features={"starttls": ""})
    assert "STARTTLS" in texts("STA")  # nothing advertised yet: offer everything
    assert "LHLO" in texts("LH", lmtp=True)
    assert "EHLO" not in texts("EH", lmtp=True)


def test_mail_from_then_parameters_of_advertised_extensions():
    assert texts("MAIL ") == ["FROM:<"]
    assert texts("mail f") == ["from:<"]
    params = texts("MAIL FROM:<a@b> ", features=EHLO_FEATURES)
    assert "SIZE=" in params and "RET=" in params and "ENVID=" in params and "BODY=" in params
    assert "SMTPUTF8" not in params  # not advertised
    assert "SMTPUTF8" in texts("MAIL FROM:<a@b> ")  # unknown features: everything


def test_parameter_values_and_already_used_parameters():
    assert texts("MAIL FROM:<a@b> BODY=8", features={"8bitmime": ""}) == ["8BITMIME"]
    assert texts("MAIL FROM:<a@b> RET=", features=EHLO_FEATURES) == ["FULL", "HDRS"]
    assert "SIZE=" not in texts("MAIL FROM:<a@b> SIZE=10 S", features=EHLO_FEATURES)


def test_rcpt_parameters_and_notify_lists():
    assert set(texts("RCPT TO:<c@d> ", features=EHLO_FEATURES)) == {"NOTIFY=", "ORCPT="}
    assert texts("RCPT TO:<c@d> NOTIFY=FAILURE,D", features=EHLO_FEATURES) == ["DELAY"]
    done = texts("RCPT TO:<c@d> NOTIFY=FAILURE,", features=EHLO_FEATURES)
    assert "FAILURE" not in done and "DELAY" in done


def test_auth_mechanisms_offered():
    assert texts("AUTH ", features=EHLO_FEATURES) == ["PLAIN", "LOGIN", "XOAUTH2"]
    assert texts("/auth ", features=EHLO_FEATURES) == ["PLAIN", "LOGIN", "XOAUTH2"]
    assert texts("/auth CR") == ["CRAM-MD5"]  # nothing advertised: what smtpshell supports


def test_candidates_carry_display_and_meta():
    ctx = CompletionContext(registry=REGISTRY, features=EHLO_FEATURES)
    (size,) = [c for c in complete("MAIL FROM:<a@b> SI", ctx)]
    assert size.start == -2 and size.meta.startswith("SIZE=<bytes>")


def test_options_and_option_values():
    assert texts("/connect --st") == ["--starttls"]
    assert texts("/export --format ") == ["text", "jsonl", "python"]
    assert texts("/reveal o") == ["on", "off"]
    assert "--tls" not in texts("/connect --tls --t")


def test_targets_reply_codes_and_help_topics():
    assert "smtps://" in texts("/connect sm")
    assert "practice" in texts("/connect p")
    assert texts("/explain 55") == ["550", "551", "552", "553", "554", "555", "556"]
    topics = texts("/help PI")
    assert "PIPELINING" in topics


def test_paths_with_an_injected_listing(tmp_path):
    (tmp_path / "message.eml").write_text("x")
    (tmp_path / "mail").mkdir()
    (tmp_path / ".hidden").write_text("x")
    prefix = f"{tmp_path}/m"
    found = texts(f"/send --file {prefix}")
    assert found == [f"{tmp_path}/mail/", f"{tmp_path}/message.eml"]
    assert texts(f"/export {tmp_path}/") == [f"{tmp_path}/mail/", f"{tmp_path}/message.eml"]

    listing = {".": ["notes.txt", "new.eml"]}
    fake = texts("/export n", list_dir=lambda d: listing[d], is_dir=lambda p: False)
    assert fake == ["new.eml", "notes.txt"]


def test_nothing_while_typing_a_message():
    assert texts("MA", collecting=True) == []
    assert texts("/lo", collecting=True) == []


def test_unknown_or_argumentless_commands_offer_nothing():
    assert texts("/nosuch x") == []
    assert texts("/rset ") == []
    assert texts("EHLO ") == []
