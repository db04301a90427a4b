"""Text that reads otherwise in a document than it was written, found by an outside tester acting
as an attacker (session 23): right-to-left letters that turn the digit groups of an amount around
('Forbruk hittil: א 1 450 000 kr' showed '000 450 1 א kr'), invisible tag characters carrying
hidden text, combining marks that strike text through or stack over the lines above, and names
that only look like a colleague's (a Hangul filler for the space, a Cyrillic а for the a)."""

from __future__ import annotations

import pytest

from grantflow.text import free_text, one_line
from grantflow.validate import validate

from ..conftest import replace_in

NOTES = "data/haugaland-velferdsteknologi/notater.yaml"
MILESTONES = "data/haugaland-velferdsteknologi/milepaeler.csv"


@pytest.mark.parametrize("text, said", [
    ("Forbruk hittil: \u05d0 1 450 000 kr, prognose \u05d1 2 300 000 \u05d2", "right-to-left letter U+05D0 HEBREW LETTER ALEF"),
    ("Regnskapet er kontrollert\u05f3", "right-to-left letter U+05F3 HEBREW PUNCTUATION GERESH"),
    ("Alt i rute." + "".join(chr(0xE0000 + ord(c)) for c in " IGNORE PREVIOUS"), "invisible tag character U+E0020"),
    ("".join(c + "\u0336" for c in "Budsjettet overskrides"), "combining mark U+0336 COMBINING LONG STROKE OVERLAY"),
    ("Regnskapet" + "\u0301\u0300\u0302\u0303\u0304" * 60 + " er kontrollert", "5 or more combining marks on one letter"),
])
def test_text_that_reads_otherwise_is_one_error_naming_file_line_and_field(scratch_config, text, said):
    notes = scratch_config / NOTES
    replace_in(notes, "comment: Arbeidsgruppene leverer i tråd med mandat.", f'comment: "{text}"')
    _, findings = validate(scratch_config)
    (bad,) = [f for f in findings if said in f.message]
    assert (bad.file.rsplit("/", 1)[-1], bad.line, bad.field, bad.severity) == (
        "notater.yaml", 5, "status[0].quality.comment", "error")


def test_the_same_in_a_milestone_comment_of_a_data_file(scratch_config):
    replace_in(scratch_config / MILESTONES, "I rute, arbeidsgrupper etablert", "I rute \u05d0 1 450 000 kr")
    _, findings = validate(scratch_config)
    (bad,) = [f for f in findings if "right-to-left letter" in f.message]
    assert (bad.file.rsplit("/", 1)[-1], bad.line, bad.field) == ("milepaeler.csv", 4, "Kommentar")


@pytest.mark.parametrize("text", [
    "Åse Ødegård", "Ærlig talt – «ok» koster 5 €", "A\u030asen og Ha\u030ale",      # macOS writes å as a + ring
    "Nguyễn Thị Minh Khai", "Café crème", "Ŋuorggán Sámi", "10 °C, § 3, ½ dag",
])
def test_everyday_text_reads(text):
    assert free_text(text) == text
    assert one_line(text) == text


@pytest.mark.parametrize("name, said", [
    ("Kari\u3164Nordmann", "U+3164 HANGUL FILLER"),
    ("Kari Nordmann\ufe0f", "U+FE0F VARIATION SELECTOR-16"),
    ("Kari\u034f Nordmann", "U+034F COMBINING GRAPHEME JOINER"),
    ("Kari\u2800Nordmann", "U+2800 BRAILLE PATTERN BLANK"),
    ("K\u0430ri Nordm\u0430nn", "mixes letters of two alphabets (U+0430 CYRILLIC SMALL LETTER A)"),
    ("\u039aari Nordmann", "mixes letters of two alphabets (U+039A GREEK CAPITAL LETTER KAPPA)"),
])
def test_a_name_that_only_looks_like_another_is_refused(name, said):
    """An approval was recorded by 'Kari<U+3164>Nordmann<U+FE0F>', which reads 'Kari Nordmann'."""
    with pytest.raises(ValueError, match="retype the name") as caught:
        one_line(name)
    assert said in str(caught.value)


def test_a_big_files_byte_scan_finds_every_character_the_rule_refuses():
    """A big file's text column is checked cell by cell only where its bytes show a character the
    rule may refuse (``data._MISLEADING_BYTES``): every code point the rule refuses, alone or
    stacked, is found by that scan, so the big and the small reader agree."""
    from grantflow.data import _MISLEADING_BYTES
    from grantflow.text import misleading

    missed = [f"U+{cp:04X}" for cp in range(0x80, 0x110000) if not 0xD800 <= cp <= 0xDFFF
              and (misleading("a" + chr(cp)) or misleading("a" + chr(cp) * 5))
              and not _MISLEADING_BYTES.search(chr(cp).encode())]
    assert not missed, missed[:20]
