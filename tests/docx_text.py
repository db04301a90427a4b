"""Reading generated .docx files back for assertions."""

from __future__ import annotations

from pathlib import Path

from docx import Document


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in Document(str(path)).paragraphs]


def tables(path: Path) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in Document(str(path)).tables]


def all_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in doc.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def find_table(path: Path, first_header: str, contains: str | None = None) -> list[list[str]]:
    for table in tables(path):
        if table and table[0] and table[0][0] == first_header and (
                contains is None or any(contains in cell for row in table for cell in row)):
            return table
    raise AssertionError(f"no table starting with {first_header!r} in {path}")


def with_ore(value, minus: str = "\u2212") -> str:
    """An amount as a grant table prints it when its amounts have øre: '320 260,50', '0,00'
    (no-break spaces between groups, a decimal comma, U+2212 minus); written here, not by grantflow."""
    text = f"{abs(value):,.2f}".replace(",", "\u00a0").replace(".", ",")
    return minus + text if value < 0 else text
