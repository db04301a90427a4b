"""'Did you mean …?' for an id or a document kind typed wrong on the command line.

Only a suggestion in the error line, never acted on: a value that is not exactly right is refused.
No import beyond the standard library (``grantflow run`` checks its kind before anything is loaded).
"""

from __future__ import annotations

import difflib
import re
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


# Characters that look alike on screen and in a spreadsheet cell, named for the message.
DASHES = {"-": "a hyphen (-)", "\u2010": "a hyphen (U+2010)", "\u2011": "a non-breaking hyphen (U+2011)",
          "\u2012": "a figure dash (‒)", "\u2013": "an en dash (–)", "\u2014": "an em dash (—)",
          "\u2015": "a horizontal bar (―)", "\u2212": "a minus sign (−)"}
SPACES = {" ": "a plain space", "\u00a0": "a non-breaking space (U+00A0)",
          "\u202f": "a narrow no-break space (U+202F)", "\u2007": "a figure space (U+2007)",
          "\u2009": "a thin space (U+2009)", "\t": "a tab"}
_COUNTS = {2: "two", 3: "three", 4: "four"}
_UNITS = re.compile(r"\s+|.", re.DOTALL)


def _units(text: str) -> list[tuple[str, str, int]]:
    """(what the unit is alike, as written, where it starts): a run of spaces is one unit, a dash
    any dash, a letter its casefolded self."""
    out = []
    for match in _UNITS.finditer(text):
        unit = match.group()
        alike = " " if unit.isspace() else "-" if unit in DASHES else unit.casefold()
        out.append((alike, unit, match.start()))
    return out


def _space_name(run: str) -> str:
    if len(run) == 1:
        return SPACES.get(run, f"the space U+{ord(run):04X}")
    if set(run) == {" "}:
        return f"{_COUNTS.get(len(run), len(run))} spaces"
    return "the spaces " + " ".join(f"U+{ord(ch):04X}" for ch in run)


def lookalike(written: str, known: Iterable[str], known_as: str,
              written_as: str = "the file") -> tuple[str, str] | None:
    """The one of ``known`` that ``written`` differs from only in characters that look alike (a
    hyphen for an en dash, a non-breaking or doubled space for a space), and what differs, said
    so that it can be seen: ``"only in its dash: the budget has an en dash (–), the file a hyphen
    (-)"``. None when no one (or several) is alike. Case is not a difference here."""
    composed = unicodedata.normalize("NFC", written)
    ours = _units(composed)
    alike = [c for c in dict.fromkeys(known)
             if [u[0] for u in _units(unicodedata.normalize("NFC", c))] == [u[0] for u in ours]]
    if len(alike) != 1:
        return None
    choice = alike[0]
    kinds, details = [], []
    if composed != written and unicodedata.normalize("NFC", choice) == choice:
        # 'å' as 'a' and a combining ring (decomposed Unicode, as some Mac programs write it)
        letters = "".join(dict.fromkeys(ch for ch in composed if unicodedata.normalize("NFD", ch) != ch))
        kinds.append("letters")
        details.append(f"{written_as} writes {letters!r} as a letter and a combining mark (decomposed Unicode), "
                       f"{known_as} as one character; retype {'them' if len(letters) > 1 else 'it'}")
        written = composed
    for (kind, theirs, _), (_, mine, start) in zip(_units(unicodedata.normalize("NFC", choice)), ours):
        if theirs == mine or kind not in (" ", "-"):
            continue
        if kind == "-":
            kinds.append("dash")
            details.append(f"{known_as} has {DASHES[theirs]}, {written_as} {DASHES[mine]}")
        else:
            kinds.append("space")
            before = " ".join(written[:start].split()[-2:])
            details.append(f"{known_as} has {_space_name(theirs)}, {written_as} {_space_name(mine)}"
                           + (f" after {before!r}" if before else ""))
    if not kinds:
        return None
    named = [("its dash" if kinds.count(k) == 1 else "its dashes") if k == "dash" else
             ("a space" if kinds.count(k) == 1 else "its spaces") if k == "space" else
             "how a letter is encoded" for k in dict.fromkeys(kinds)]
    shown = details[:3] + ([f"and {len(details) - 3} more"] if len(details) > 3 else [])
    return choice, f"only in {' and '.join(named)}: {'; '.join(shown)}"
