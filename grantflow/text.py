"""Checks on user text that ends up in file names, mail headers and one-line document fields.

Shared by validation (register text is refused with file:line) and delivery (headers are
built only from text that passes ``one_line``).
"""

from __future__ import annotations

import re
import unicodedata
from email.header import decode_header, make_header

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 64
WINDOWS_DEVICES = frozenset(["con", "prn", "aux", "nul"] + [f"{d}{n}" for d in ("com", "lpt") for n in range(10)])
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[qQbB]\?[^?]*\?=")
# What str.splitlines() splits on, named for the message.
LINE_BREAKS = {
    "\n": "LF", "\r": "CR", "\v": "VT (vertical tab)", "\f": "FF (form feed)", "\x1c": "FS", "\x1d": "GS",
    "\x1e": "RS", "\x85": "NEL (next line)", "\u2028": "U+2028 LINE SEPARATOR",
    "\u2029": "U+2029 PARAGRAPH SEPARATOR",
}


def decode_words(text: str) -> str:
    """``text`` with RFC 2047 encoded words (``=?utf-8?q?...?=``) decoded, as a mail reader shows it."""
    if not _ENCODED_WORD.search(text):
        return text
    try:
        return str(make_header(decode_header(text)))
    except (ValueError, LookupError, UnicodeError):
        return text


# Every line break above and every control character (category Cc) but tab.
_BREAK_OR_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def line_break(text: str) -> str | None:
    """The name of the first line break or control character in ``text`` or in its RFC 2047
    decoding; None when the text is one clean line."""
    found = _BREAK_OR_CONTROL.search(text)
    how = ""
    if found is None:
        decoded = decode_words(text)
        found = _BREAK_OR_CONTROL.search(decoded) if decoded is not text else None
        how = " (inside an RFC 2047 encoded word)"
    if found is None:
        return None
    ch = found.group()
    return LINE_BREAKS.get(ch, f"control character U+{ord(ch):04X}") + how


# The C0 controls but tab, LF and CR, DEL, the C1 controls (U+0080-U+009F: boxes on the page,
# found by an outside tester), U+FFFE/U+FFFF and lone surrogates.
_NOT_IN_DOCUMENTS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def bad_character(text: str) -> str | None:
    """The first character that cannot stand in a document (XML 1.0) or a table cell, or None.
    Tab, LF and CR are allowed in free text; names are checked by ``one_line`` as well."""
    match = _NOT_IN_DOCUMENTS.search(text)
    if not match:
        return None
    ch = match.group()
    return f"U+{ord(ch):04X}" + (f" {LINE_BREAKS[ch]}" if ch in LINE_BREAKS else "")


# The bidirectional embeddings, overrides and isolates, and the three directional marks (LRM,
# RLM, ALM): in a note they make text read differently than written (an amount's digits shown
# reversed, digit groups in another order; Unicode's list of bidi controls, UTS #55). Other format
# characters (soft hyphen, zero-width joiner) come with text pasted from Word and are left to free text.
BIDI_CHARACTERS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_BIDI = re.compile(f"[{BIDI_CHARACTERS}]")


def bidi_control(text: str) -> str | None:
    """The first bidirectional embedding, override or isolate character in ``text``, named, or None."""
    found = _BIDI.search(text)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} {unicodedata.name(found.group())}"


def _named(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'CHARACTER')}"


STACKED_MARKS = 5          # this many combining marks on one letter spill over the lines above and below


def misleading(text: str) -> str | None:
    """Why ``text`` would not read in a document as it was written (the rest of a message), or None:
    a bidirectional control; a right-to-left letter (Hebrew, Arabic …), which turns the order of the
    digits and words beside it ('א 1 450 000 kr' shows '000 450 1 א kr'); an invisible tag character
    (U+E0000–U+E0FFF: hidden text); a combining mark that strikes through or overlays the letters
    (canonical combining class 1, U+0336); or a letter under ``STACKED_MARKS`` combining marks or more.
    Found by outside testers acting as attackers. Every character from U+0300 up is at least two
    bytes in UTF-8 led by CC or above: a big file's column is scanned for those bytes first."""
    found = bidi_control(text)
    if found:
        return (f"contains the bidirectional control character {found}, which can make the text read "
                "differently than written: retype it without")
    if text.isascii():
        return None
    run = 0
    for ch in text:
        if ch < "\u0300":
            run = 0
            continue
        if unicodedata.bidirectional(ch) in ("R", "AL"):
            return (f"contains the right-to-left letter {_named(ch)}, which turns the order of the digits "
                    "and words beside it in the document: write the text in Norwegian (Latin) letters")
        if "\U000e0000" <= ch <= "\U000e0fff":
            return f"contains the invisible tag character {_named(ch)} (text the reader does not see): retype it without"
        if unicodedata.combining(ch) == 1:
            return (f"contains the combining mark {_named(ch)}, which strikes through or overlays the letters: "
                    "retype it without")
        run = run + 1 if unicodedata.category(ch) in ("Mn", "Me") else 0
        if run >= STACKED_MARKS:
            return (f"has {STACKED_MARKS} or more combining marks on one letter ({_named(ch)} …), which run into "
                    "the lines above and below: retype it")
    return None


def free_text(text: str) -> str:
    """``text`` (a note, comment, deviation) unless it holds a control character no document can
    hold or something that makes it read otherwise than written (``misleading``); ValueError naming
    it otherwise."""
    control = bad_character(text)
    if control:
        raise ValueError(f"contains the control character {control}, which no document can hold: retype it without")
    why = misleading(text)
    if why:
        raise ValueError(why)
    return text


# Shown as a blank but no space: in a name 'Kari\u3164Nordmann' reads 'Kari Nordmann'.
_BLANK_LOOKING = frozenset("\u2800\u115f\u1160\u3164\uffa0")
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def invisible(text: str) -> str | None:
    """The first character that shows as nothing or as a blank that is no space (Unicode's
    default-ignorable code points: zero-width space, soft hyphen, byte order mark, the bidirectional
    overrides, the combining grapheme joiner, variation selectors, the Hangul filler; and the
    braille blank), or None. In a name it makes two names that look the same differ (an approval
    recorded by 'Kari<U+3164>Nordmann<U+FE0F>', found by an outside tester)."""
    for ch in text:
        if ch > "\x7f" and (ch in _INVISIBLE_SET or ch in _BLANK_LOOKING or unicodedata.category(ch) == "Cf"):
            return _named(ch)
    return None


def mixed_script(text: str) -> str | None:
    """The first word of ``text`` that mixes Latin, Cyrillic and Greek letters ('Kаri' with a
    Cyrillic а looks like 'Kari'), named with the odd letter, or None."""
    for word in re.split(r"[\s\-'’.]+", text):
        if word.isascii():
            continue
        seen: dict[str, str] = {}
        for ch in word:
            if ch.isalpha():
                script = unicodedata.name(ch, "").split(" ")[0]
                if script in _SCRIPTS:
                    seen.setdefault(script, ch)
        if len(seen) > 1:
            odd = next(ch for script, ch in seen.items() if script != "LATIN") if "LATIN" in seen else \
                list(seen.values())[1]
            return f"{word!r} mixes letters of two alphabets ({_named(odd)})"
    return None


def one_line(text: str) -> str:
    """``text`` if it is one plain, visible line (no line break, tab or other control character);
    ValueError naming the offending part otherwise.
    An RFC 2047 encoded word (``=?utf-8?q?...?=``) is refused whatever it decodes to (sending
    refuses it too): a name is written as itself."""
    # a tab too: free text may hold one, a name never does (a reporter 'Kari<TAB>Nordmann' was stored)
    found = line_break(text) or ("TAB" if "\t" in text else None)
    if found:
        raise ValueError(f"must be a single line: contains {found}")
    free_text(text)                     # a bidirectional control: the same message as in free text
    hidden = invisible(text)
    if hidden:
        raise ValueError(f"contains the invisible character {hidden}: retype the name")
    mixed = mixed_script(text)
    if mixed:
        raise ValueError(f"{mixed}, so it only looks like the name it seems: retype the name")
    if _ENCODED_WORD.search(text):
        raise ValueError("contains an RFC 2047 encoded word (=?…?=): write the name itself")
    return text


def name_key(name: str) -> str:
    """A name as compared with others: case and Unicode composition set aside ('Ål' typed as A +
    combining ring, as macOS and some exports write it, is 'ål'), so one municipality never
    counts as two."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


def slug(text: str) -> str:
    """An identifier: lowercase letters a–z, digits and single hyphens (used in file names), and
    not a name Windows keeps for a device (a folder 'con' cannot be made or opened there, and
    outputs/ may be a share the secretariat opens from Windows)."""
    if not isinstance(text, str) or len(text) > SLUG_MAX or not SLUG.match(text):
        shown = repr(text) if len(repr(text)) <= 80 else repr(text)[:77] + "…"
        raise ValueError(f"{shown} is not an identifier: use lowercase letters a–z, digits and '-' "
                         f"(at most {SLUG_MAX}), e.g. 'haugaland-vekst'")
    if text in WINDOWS_DEVICES:
        raise ValueError(f"{text!r} is a device name on Windows (no file or folder can have it there): "
                         "choose another identifier")
    return text


# Characters that show as nothing (a soft hyphen, zero-width spaces and joiners, the word joiner,
# left-to-right and right-to-left marks, a BOM inside the text, the combining grapheme joiner,
# variation selectors): 'Su\u200bm' and 'Su\u034fm' read 'Sum'. The ledger reader takes them away
# before it looks for total words (grantflow.data); a message shows them escaped (``printable_name``,
# ``numbers.echo``), so the user sees what the value holds. The set is Unicode's, not a list of the
# ones met so far: every character of general category Cf (format), plus the rest of Default_Ignorable_Code_Point (DerivedCoreProperties.txt:
# Cf, Other_Default_Ignorable_Code_Point and Variation_Selector of PropList.txt, which are listed
# below as the standard gives them). The Cf runs are written out (Unicode 14, Python 3.11's
# ``unicodedata``): computing them at import scanned 196 000 code points, ~10 ms of every command's
# start. A test checks every Cf character of the running Python is in the set.
_FORMAT = ((0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891),
           (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
           (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x13438),
           (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F))
_OTHER_IGNORABLE = ((0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180D), (0x180F, 0x180F),
                    (0x2065, 0x2065), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8),
                    (0xE0000, 0xE0FFF))
IGNORABLE = sorted({c for low, high in _FORMAT + _OTHER_IGNORABLE for c in range(low, high + 1)})
INVISIBLE = "".join(map(chr, IGNORABLE))
_INVISIBLE_SET = frozenset(INVISIBLE)


# A total row's words, read one value at a time (the ledger's and the hours file's descriptions, a
# budget's categories and a financing plan's sources): what may stand beside the total words is
# dates, years and periods, and the names of the file's categories and funders (or, in the hours
# file, municipalities). The data files find their few candidates in bulk first (grantflow.data).
_SUM_WORDS = r"sum|summert|totalsum|totalt?|delsum|sub-?total|akkumulert|i\s*alt|σ|∑"
TOTAL_WORD = re.compile(r"(?<![\w-])(?:" + _SUM_WORDS + r"|saldo|overført\s+saldo|inngående\s+balanse|"
                        r"utgående\s+balanse|ib|ub)(?![\w-])")
# a plan's total: the balance words are no total there ('Overført saldo 2015' is money carried over)
SUM_WORD = re.compile(r"(?<![\w-])(?:" + _SUM_WORDS + r")(?![\w-])")
_PERIOD_WORDS = frozenset(
    "januar februar mars april mai juni juli august september oktober november desember jan feb mar apr jun "
    "jul aug sep sept okt nov des hittil i år alt per pr for fra til og kvartal kv tertial halvår måned uke dato "
    "kostnader utgifter prosjektkostnader".split())
_PERIOD_TOKEN = re.compile(r"\d+|[qkth]\d{1,2}|\d{1,2}(?:q|k|kv)")
_NO_INVISIBLE = str.maketrans(dict.fromkeys(INVISIBLE))
# An ERP's subtotal rows add up by its dimensions ('Sum periode 3', 'Sum konto 1080', 'Totalsum prosjekt
# F251', 'Sum art 10800 Lønn'): beside a total word, these words and a code after them are no cost
# either (each such row was counted as one more cost; found by an outside tester). After an account's,
# project's or unit's code the rest is its name. 'Sum av reiser i mars' stays a cost.
_NAMED_DIMENSIONS = frozenset("prosjekt konto art ansvar tjeneste funksjon".split())
_DIMENSIONS = _NAMED_DIMENSIONS | {"periode"}
_CODE = re.compile(r"[a-zæøå]{0,3}\d[\w-]*")


def is_total(text: str, names=(), words: re.Pattern = TOTAL_WORD) -> bool:
    """Whether a description, with its total ``words`` taken away, holds nothing but dates, years and
    periods, punctuation, and ``names`` (the file's categories and funders, casefolded): 'Sum 2016',
    'Inngående balanse 01.01.2014', 'Prosjektledelse Totalt' (a category) are total rows; 'Sum
    Consulting AS', 'Honorar, fast sum', 'Sum av reiseutgifter' are costs."""
    text = unicodedata.normalize("NFKC", text.translate(_NO_INVISIBLE)).casefold()
    for name in names:
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text)
    text, found = words.subn(" ", text)
    if not found:
        return False
    tokens = re.findall(r"[^\W_]+", text)
    for index, token in enumerate(tokens):
        after = tokens[index - 1] if index else ""
        if after in _NAMED_DIMENSIONS and _CODE.fullmatch(token):
            return True                 # the rest names that account or project ('Sum art 10800 Lønn')
        if not (token in _PERIOD_WORDS or _PERIOD_TOKEN.fullmatch(token) or token in _DIMENSIONS
                or (after in _DIMENSIONS and _CODE.fullmatch(token))):
            return False
    return True


def escaped_invisible(text: str) -> str:
    """``text`` with each character that shows as nothing (``INVISIBLE``) written as its escape
    ('Su\\u034fm'), as repr() writes the format characters: for a value quoted in a message, which
    repr() leaves as it is when the character is a combining mark or a letter (U+034F, U+FE0F, U+3164)."""
    if not any(ch in _INVISIBLE_SET for ch in text):
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if ch in _INVISIBLE_SET else ch for ch in text)


def printable_name(name: str) -> str:
    """A file name as one line of text: bytes that are not UTF-8 as \\xNN, control and
    line-breaking characters and the characters that show as nothing (``INVISIBLE``) escaped (a name
    is shown, never trusted)."""
    out = []
    for ch in name:
        if "\udc80" <= ch <= "\udcff":                       # an undecodable byte (surrogateescape)
            out.append(f"\\x{ord(ch) - 0xdc00:02x}")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") or ch in _INVISIBLE_SET:
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


# ``scheme://user:password@host``: everything from the colon after the user name to the last '@'
# (a password may hold '@' or '/'; hiding too much of an odd URL is harmless, showing a password is not)
_URL_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*):.*@")
_QUERY_SECRET = re.compile(r"([?&](?:password|passwd|pwd|pass|secret|token|api_key|apikey)=)[^&#]*", re.IGNORECASE)


def url_shown(url: str) -> str:
    """A URL as it may be shown or written anywhere (a message, a log, a mail): a password in it
    (``postgresql+psycopg://grantflow:s3cret@db/ledger``, ``http://admin:s3cret@host/api``, or
    ``?password=...``) becomes ``***``."""
    text = str(url)
    match = _URL_PASSWORD.match(text)
    if match and "@" in text[match.end(1):]:
        text = match.group(1) + ":***@" + text[match.end():]
    return _QUERY_SECRET.sub(r"\1***", text)


def url_shown_in(text: str, url: str) -> str:
    """``text`` (an error message about ``url``) with the URL's password hidden wherever it appears,
    also percent-decoded (a driver may echo the password or the URL it was given)."""
    from urllib.parse import unquote

    match = _URL_PASSWORD.match(str(url))
    password = str(url)[match.end(1) + 1:match.end() - 1] if match else ""
    for secret in {password, unquote(password)} - {""}:
        text = text.replace(secret, "***")
    return url_shown(text)


_URL_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


def url_without_credentials(url: str) -> str:
    """A link a person is given (in a mail, on the screen): ``http://admin:s3cret@host/…`` as
    ``http://host/…``. The browser asks for the login itself; a link never carries it."""
    return _URL_USERINFO.sub(r"\1", str(url), count=1)



# Markdown for the Prefect UI (artifacts, the approval and status forms' descriptions). Text from
# people (names, data files, a mail server's answer) is shown there literally: never a link, an
# image fetched from somewhere when the secretariat opens the page, or formatting.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()<>!#|~{}&])")
_MD_AUTOLINK = re.compile(r"(?i)\b(https?|ftp):/{2}|\b(www)\.")
# a list item's marker at the start (a table artifact's cell is a Markdown document of its own)
_MD_LEADING_LIST = re.compile(r"^(\s*)([-+]|\d{1,9}\.)(?=\s|$)")


def _one_line_md(text) -> str:
    # a line break would end a list item or a heading: one line, other spaces (no-break too) kept
    return re.sub(r"\s*[\r\n\v\f\x85\u2028\u2029]+\s*", " ", str(text))


def md_text(text) -> str:
    """``text`` as literal Markdown text inside a line: the characters that start Markdown or HTML
    (``[`` ``]`` ``(`` ``)`` ``!`` ``<`` ``*`` ``_`` `````` ``&`` …) backslash-escaped, and a bare
    ``http://`` or ``www.`` (which GitHub-flavoured renderers link by themselves) broken by an escape,
    so ``[a](http://x)``, ``![](…)`` and ``<img>`` stay text; a leading ``-``, ``+`` or ``1.`` is no list."""
    text = _MD_SPECIAL.sub(r"\\\1", _one_line_md(text))
    text = _MD_LEADING_LIST.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}", text)
    return _MD_AUTOLINK.sub(lambda m: f"{m[1]}:\\/\\/" if m[1] else f"{m[2]}\\.", text)


def md_code(text) -> str:
    """``text`` as an inline code span, whatever backticks it holds: the fence is one backtick longer
    than its longest run of them (a single backtick in a data file closed the span, and what followed
    was Markdown again)."""
    text = _one_line_md(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def md_fence(text: str) -> str:
    """``text`` (several lines) as a fenced code block that no line of it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def spreadsheet_text(text: str) -> str:
    """Text for a CSV file a person opens in Excel: one that would start a formula there (=, +, -,
    @, tab, CR) gets a leading apostrophe, so that it stays text. For files grantflow does not read
    back (a log, the cost split), never for data files."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
