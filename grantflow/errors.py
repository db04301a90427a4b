"""The one error type for mistakes a user can make and fix."""

from __future__ import annotations

from .text import printable_name


class UserError(Exception):
    """A mistake in the user's config, data or template, with where it happened.

    Rendered as ``file:line: field: message`` so the user can go straight to it.
    """

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 field: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field

    @property
    def location(self) -> str:
        where = str(self.file) if self.file else ""
        if self.line is not None:
            where += f":{self.line}" if where else f"line {self.line}"
        if self.field:
            where += f": {self.field}" if where else self.field
        return where

    def __str__(self) -> str:
        # a path or value with a line break (--config $'x\nERROR   y') is shown escaped: one
        # mistake is one line, and no line can be forged
        return printable_name(f"{self.location}: {self.message}" if self.location else self.message)
