"""The knowledge layer: SMTP reference data with RFC sources, and lookups over it.

Pure data and pure functions: no I/O at import, no terminal or server imports, cheap to
import.  The REPL, the TUI inspector, completion and ``docs/reference`` all read these
tables, so a fact is fixed in one place.  ``smtpshell.knowledge.docs`` renders the docs.
"""

from smtpshell.knowledge.auth import SASL_MECHANISMS, Mechanism, Support, mechanism
from smtpshell.knowledge.enhanced import (
    ENHANCED_CLASSES,
    ENHANCED_STATUS_CODES,
    ENHANCED_SUBJECTS,
    EnhancedCode,
    EnhancedStatus,
    lookup_enhanced,
    pairing_note,
    parse_enhanced,
)
from smtpshell.knowledge.explanation import Explanation, explain
from smtpshell.knowledge.extensions import (
    EXTENSIONS,
    Extension,
    FeatureInfo,
    ParameterInfo,
    describe_feature,
    extension,
    human_duration,
    human_size,
    mail_parameters,
    rcpt_parameters,
)
from smtpshell.knowledge.lines import (
    Cited,
    LineExplanation,
    LineKind,
    explain_line,
    explain_reply,
)
from smtpshell.knowledge.replies import REPLY_CODES, ReplyCode, reply_class, reply_code
from smtpshell.knowledge.verbs import COMMANDS, CommandInfo, command, commands

__all__ = [
    "COMMANDS",
    "ENHANCED_CLASSES",
    "ENHANCED_STATUS_CODES",
    "ENHANCED_SUBJECTS",
    "EXTENSIONS",
    "REPLY_CODES",
    "SASL_MECHANISMS",
    "Cited",
    "CommandInfo",
    "EnhancedCode",
    "EnhancedStatus",
    "Explanation",
    "Extension",
    "FeatureInfo",
    "LineExplanation",
    "LineKind",
    "Mechanism",
    "ParameterInfo",
    "ReplyCode",
    "Support",
    "command",
    "commands",
    "describe_feature",
    "explain",
    "explain_line",
    "explain_reply",
    "extension",
    "human_duration",
    "human_size",
    "lookup_enhanced",
    "mail_parameters",
    "mechanism",
    "pairing_note",
    "parse_enhanced",
    "rcpt_parameters",
    "reply_class",
    "reply_code",
]
