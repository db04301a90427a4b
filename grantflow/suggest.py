"""'Did you mean …?' for an id or a document kind typed wrong on the command line.

Only a suggestion in the error line, never acted on: a value that is not exactly right is refused.
No import beyond the standard library (``grantflow run`` checks its kind before anything is loaded).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

# The documents' Norwegian names, as the README's table and the documents themselves call them:
# a secretariat types 'sluttrapport' as readily as 'final'.
KIND_NAMES = {"application": "Søknad om skjønnsmidler", "status": "Statusrapport", "final": "Sluttrapport",
              "usage": "Rapportering om bruk av skjønnsmidler", "costsplit": "Kostnadsfordeling"}


def fold(text: str) -> str:
    """Case, Norwegian letters, spaces and underscores made alike: 'Søknad_om' → 'soknad-om'."""
    text = unicodedata.normalize("NFKC", text).strip().casefold()
    text = text.replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return "-".join(text.replace("_", " ").split())


def did_you_mean(given: str, choices: Iterable[str], aliases: dict[str, list[str]] | None = None) -> str | None:
    """The one choice ``given`` most likely meant, or None when none is close or several are."""
    names: dict[str, set[str]] = {}            # folded name → the choices it names
    for choice in choices:
        for name in [choice, *(aliases or {}).get(choice, [])]:
            names.setdefault(fold(name), set()).add(choice)
    key = fold(given)
    if not key:
        return None
    if len(names.get(key, ())) == 1:
        return next(iter(names[key]))
    if len(key) >= 3:
        containing = {c for name, found in names.items() if key in name for c in found}
        if len(containing) == 1:
            return containing.pop()
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    if close and len(names[close[0]]) == 1:
        return next(iter(names[close[0]]))
    return None


def kind_aliases() -> dict[str, list[str]]:
    """Each kind's Norwegian name and the words of it that name no other kind."""
    words = {kind: [w for w in fold(name).split("-") if len(w) > 3] for kind, name in KIND_NAMES.items()}
    shared = {w for ws in words.values() for w in ws if sum(w in other for other in words.values()) > 1}
    return {kind: [KIND_NAMES[kind], *(w for w in ws if w not in shared)] for kind, ws in words.items()}


def unknown_kind(name: str, kinds: Iterable[str]) -> str:
    """The message for a document kind that is none of ``kinds``."""
    kinds = list(kinds)
    meant = did_you_mean(name, kinds, kind_aliases())
    hint = f": did you mean {meant!r} ({KIND_NAMES[meant]})?" if meant in KIND_NAMES else ""
    return f"unknown document kind {name!r}{hint} (use: {', '.join(kinds)})"


def unknown_id(what: str, given: str, known: Iterable[str], shown: int = 12) -> str:
    """The message for a project or council id that is not in the register."""
    known = sorted(known)
    meant = did_you_mean(given, known)
    hint = f": did you mean {meant!r}?" if meant else ""
    listed = ", ".join(known[:shown]) + (f" and {len(known) - shown} more" if len(known) > shown else "")
    shown_id = repr(given) if len(given) <= 80 else repr(given[:66]) + f"… ({len(given)} characters)"
    return f"unknown {what} {shown_id}{hint} (known: {listed or 'none'})"
