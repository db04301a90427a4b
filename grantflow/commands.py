"""Further sub-commands (documents, delivery, orchestration) registered on the CLI."""

from __future__ import annotations


def register_commands(sub) -> None:
    """Add the commands that later layers provide."""
