"""The total-row check looks at a million descriptions by their bytes first (``_total_candidates``)
and runs its regular expression only on the few that could match. That shortcut must never let a
total row through: every value the expression matches is a candidate, whatever its letters,
spaces, case or Unicode, and whatever characters that show as nothing (a soft hyphen, a zero-width
space) stand inside its words: the full rule takes those away before the expression (``_visible``)."""

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from grantflow.data import _TOTAL_ROW, INVISIBLE, _total_candidates, _visible

# letters of the total words, both cases, and what can stand around them
ALPHABET = st.one_of(st.sampled_from(list("sSuUmMtToOaAlLdDeEiIbBnNgGrRvVfFøØåÅ -:.,;\t")
                                     + ["\u00a0", "\u2028", "ſ", "K", "\u0130", "ﬁ", "—", "1"]),
                     st.sampled_from(list(INVISIBLE)))      # every character that shows as nothing
WORDS = st.sampled_from(["Sum", "SUM", "sum", "Totalt", "total", "Delsum", "Sub-total", "subtotal", "Saldo",
                         "Overført saldo", "Inngående balanse", "UTGÅENDE BALANSE", "IB", "ub", "Faktura",
                         "Totalsum", "Summert", "AKKUMULERT", "I alt", "i\u00a0alt", "Σ", "σ", "∑", "2016", " 12",
                         "S\u00adum", "Su\u200bm", "To\u00adtalt", "Del\u00adsum", "I\u200balt", "Ialt",
                         "i\u2060alt", "Sal\u200ddo", "\ufeffIB", "U\u00adB", "A\u200ckkumulert",
                         "O\u180everført saldo",
                         "Inngående\u00a0bal\u00adanse", "Sub\u2061total", "Su\u200em", "Su\u034fm",
                         "T\u034fotalt", "I\ufe0falt", "S\U000e0001um", "U\u115fB", "D\u2066elsum"])
TEXT = st.one_of(st.text(ALPHABET, max_size=12),
                 st.tuples(st.text(ALPHABET, max_size=4), WORDS, st.text(ALPHABET, max_size=4)).map("".join),
                 st.text(max_size=8))


def matches(values):
    """The full rule: the expression over the values without their invisible characters."""
    return pc.match_substring_regex(_visible(pa.array(values, pa.string())), _TOTAL_ROW).fill_null(False).to_pylist()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT), max_size=30), st.integers(0, 5))
def test_every_total_row_is_a_candidate(values, cut):
    column = pa.array(values, pa.string()).slice(min(cut, len(values)))      # a slice: offsets not at 0
    found = pc.match_substring_regex(_visible(column), _TOTAL_ROW).fill_null(False).to_pylist()
    maybe = _total_candidates(column)
    assert len(maybe) == len(column)
    assert all(m for f, m in zip(found, maybe) if f), [v for v, f, m in zip(column.to_pylist(), found, maybe)
                                                       if f and not m]


EDGES = [" IB 2016", "\tib", "\xa0UB", "IB:", "ſum 2016", "Kurs inngående balanse", "Kurs inngående balanſe",
         "xx ſum", "Totalt\xa0", "Delsum:", "Prosjektledelse Totalt", "X total.", "Overført saldo",
         "INNGÅENDE BALANSE", "Utgående balanse 2016", "Reise — Totalt", "ﬁ sum", "Sum\u2028", "Ø sum",
         "Kurs delsum", "subtotal", "Sub-total", "SALDO", "Totalsum 2016", "Kostnader i alt 2016", "I alt 2016",
         "Summert", "Akkumulert hittil i år", "* Sum 2016", "Σ 2016", "∑ 2016", "Kostnader i\u00a0alt 2016",
         "Lønn totalt 01.01.2016-31.12.2016", "Reise totalt (2016)", "Prosjektledelse Totalt 2016 .",
         # characters that show as nothing inside or around the words (session 18)
         "S\u00adum 2016", "T\u200botalt", "Del\u00adsum 2016", "I\u200balt 2016", "Ialt", "i\u2060alt",
         "Sal\u200ddo", "U\ufeffB", "\u00adSum", "Reise Tota\u00adlt", "Reise Total\u00adt", "Reise i al\u200bt 2016",
         "Reise totalt\u200b 2016", "Kostnader i\u2060alt", "O\u180everført saldo",
         # the rest of Unicode's format and default-ignorable characters (session 18 review)
         "Su\u200em 2020", "Su\u034fm", "S\u034fum", "T\u200eotalt", "I\ufe0falt 2016", "S\U000e0001um",
         "A\u3164kkumulert", "O\uffa0verført saldo", "U\u061cB", "Sum\u034f", "Reise tota\u200elt"]


def test_the_invisible_characters_are_unicodes_format_and_default_ignorable_ones():
    """Every character of category Cf anywhere in Unicode (the set writes their runs out: this checks
    them against the running Python's unicodedata),
    and the default-ignorable code points PropList.txt lists besides (U+034F, Hangul fillers,
    variation selectors, the tag block); no visible letter or space."""
    import unicodedata

    every_cf = {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"}
    assert every_cf <= set(INVISIBLE), sorted(every_cf - set(INVISIBLE))
    assert {"\u034f", "\u115f", "\u3164", "\ufe00", "\ufe0f", "\uffa0", "\u180b", "\U000e0100",
            "\U000e0fff"} <= set(INVISIBLE)
    assert not {" ", "\u00a0", "a", "S", "ø", "\u0301", "\u2028"} & set(INVISIBLE)


def test_total_rows_at_every_edge_are_candidates():
    """Leading spaces and punctuation, Unicode spaces and letters that fold to ASCII, a word at the
    start or at the end: each of these the expression matches, and each is a candidate."""
    assert all(matches(EDGES)), [v for v, m in zip(EDGES, matches(EDGES)) if not m]
    maybe = _total_candidates(pa.array(EDGES))
    assert maybe.all(), [v for v, m in zip(EDGES, maybe) if not m]


def test_everyday_descriptions_are_not_candidates():
    """The shortcut is worth having: ordinary invoice lines are passed over without the expression."""
    everyday = ["Faktura 100000 Reisebyrå Nord", "Konsulenttimer mars", "Kurs i velferdsteknologi 2016",
                "Reise Oslo–Bergen", "Lisens 2017"]
    assert not any(_total_candidates(pa.array(everyday)))
    assert matches(["Sum 2016", "Prosjektledelse Totalt", "IB", "Faktura 1"]) == [True, True, True, False]
