"""Errors a user can cause, each carrying a sentence a person can act on.

Pages catch :class:`AugLabError` and show its message with ``st.error``; the CLI prints it and exits
with status 2. Anything else is a bug and may surface as a traceback in the logs, never on a page.
"""

from __future__ import annotations


class AugLabError(Exception):
    """Base class for problems caused by the user's input (a file, a configuration, missing data)."""


class ConfigError(AugLabError, ValueError):
    """A configuration value is out of range or of the wrong type."""


class InputError(AugLabError):
    """An input file cannot be used.

    Attributes:
        name: The file's name as the user gave it (never a path on this machine).
        reason: What is wrong and what to do, as a sentence.
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
