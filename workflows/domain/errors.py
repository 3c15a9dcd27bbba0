"""Errors of the workflow engine. One root, structured fields, no branching on message text."""

from __future__ import annotations


class WorkflowError(Exception):
    """Root of every error the engine raises on purpose.

    ``permanent`` tells a retrying caller (a worker, the outbox sender) whether trying
    again can help.
    """

    permanent: bool = True

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def __str__(self) -> str:
        return self.message


class IllegalTransition(WorkflowError):
    """A state change the transition table does not allow."""


class RequestNotFound(WorkflowError):
    """No request with that id or reference."""


class ActionNotFound(WorkflowError):
    """No queued action with that id."""


class FourEyesViolation(WorkflowError):
    """The person who planned or requested an action tried to approve it."""


class ExtensionNotAllowed(WorkflowError):
    """Art. 12(3): an extension needs reasons and a notice sent before the first deadline."""


class ConfigurationError(WorkflowError):
    """A configuration file (settings, controller profile, calendar) is wrong.

    ``problems`` lists every problem found, each naming the file, the key and what is wrong.
    """

    def __init__(self, message: str, problems: list[str] | None = None, **fields: object) -> None:
        super().__init__(message, **fields)
        self.problems = problems or [message]

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0]
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
