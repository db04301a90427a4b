"""Generates the five Word templates in this folder from code (python-docx).

The .docx files are committed so a secretariat can open and edit them in Word; this script is
the source of truth for the layout and a test checks the two are in sync. Run it after a change:

    python templates/build_templates.py            # rewrite the templates
    python templates/build_templates.py --check    # exit 1 if a template differs from the script

Jinja tags sit in single runs so docxtpl sees them whole; table rows loop with {%tr %}, year
columns with {%tc %}, paragraphs with {%p %}. Header rows repeat on every page.
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
DARK = RGBColor(0x1F, 0x4E, 0x79)
HEADER_FILL = "1F4E79"
ZEBRA_FILL = "F2F6FA"


class Builder:
    """A document being built: styles, page setup, header/footer and helpers."""

    def __init__(self, landscape: bool = False):
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_height, section.page_width = section.page_width, section.page_height
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2.0))
        section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
        self.width_cm = (section.page_width - section.left_margin - section.right_margin) / 360000
        self._styles()
        self._header_footer(section)

    def _styles(self):
        styles = self.doc.styles
        normal = styles["Normal"]
        normal.font.name = "Calibri"
        normal.font.size = Pt(10.5)
        normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Calibri")
        normal.paragraph_format.space_after = Pt(4)
        normal.paragraph_format.line_spacing = 1.1
        for name, size, before in (("Title", 22, 0), ("Heading 1", 14, 14), ("Heading 2", 12, 10)):
            style = styles[name]
            style.font.name = "Calibri"
            style.font.size = Pt(size)
            style.font.color.rgb = DARK
            style.font.bold = name != "Title"
            style.paragraph_format.space_before = Pt(before)
            style.paragraph_format.space_after = Pt(4)
            style.paragraph_format.keep_with_next = True
            rpr = style.element.get_or_add_rPr()
            fonts = rpr.find(qn("w:rFonts"))
            if fonts is None:
                fonts = OxmlElement("w:rFonts")
                rpr.insert(0, fonts)
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                fonts.set(qn(attr), "Calibri")
            for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(theme), None)
        styles["Title"].paragraph_format.space_after = Pt(2)
        subtitle = styles["Subtitle"]
        subtitle.font.name = "Calibri"
        subtitle.font.size = Pt(13)
        subtitle.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
        for name in ("Header", "Footer"):
            styles[name].font.size = Pt(8.5)
            styles[name].font.color.rgb = RGBColor(0x59, 0x59, 0x59)
        small = styles.add_style("Small", 1)
        small.base_style = normal
        small.font.size = Pt(8.5)
        small.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
        cell = styles.add_style("Table Text", 1)
        cell.base_style = normal
        cell.font.size = Pt(9)
        cell.paragraph_format.space_before = Pt(1)
        cell.paragraph_format.space_after = Pt(1)
        cell.paragraph_format.line_spacing = 1.0
        num = styles.add_style("Table Number", 1)
        num.base_style = cell
        num.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        head = styles.add_style("Table Heading", 1)
        head.base_style = cell
        head.font.bold = True
        head.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)

    def _header_footer(self, section):
        header = section.header.paragraphs[0]
        header.text = "{{ doc.title }} – {{ doc.subject }}"
        header.style = "Header"
        footer = section.footer.paragraphs[0]
        footer.style = "Footer"
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run("{{ doc.issuer }} · {{ doc.date }} · versjon {{ doc.version }} · Side ")
        self._field(footer, "PAGE")
        footer.add_run(" av ")
        self._field(footer, "NUMPAGES")

    @staticmethod
    def _field(paragraph, code):
        run = paragraph.add_run()
        for kind, text in (("begin", None), (None, f" {code} "), ("separate", None), (None, "1"), ("end", None)):
            if kind:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), kind)
            elif text.strip() == code:
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = text
            else:
                el = OxmlElement("w:t")
                el.text = text
            run._r.append(el)

    # ---- text
    def title(self, title: str, subtitle: str):
        self.doc.add_paragraph(title, style="Title")
        self.doc.add_paragraph(subtitle, style="Subtitle")

    def h1(self, text):
        self.doc.add_paragraph(text, style="Heading 1")

    def h2(self, text):
        self.doc.add_paragraph(text, style="Heading 2")

    def p(self, text, style=None, keep: bool = False):
        """A paragraph; ``keep`` keeps it on the page with what follows (an intro to a table)."""
        para = self.doc.add_paragraph(text, style=style)
        if keep:
            para.paragraph_format.keep_with_next = True
        return para

    def tag(self, text):
        """A paragraph holding only a {%p %} tag (docxtpl removes it)."""
        self.doc.add_paragraph(text)

    def bullets(self, loop: str, item: str, empty: str | None = None):
        """One bullet per item of ``loop`` ('x in xs'); ``empty`` is shown when there is none."""
        seq = loop.split(" in ", 1)[1]
        if empty:
            self.tag(f"{{%p if {seq} %}}")
        self.tag(f"{{%p for {loop} %}}")
        self.doc.add_paragraph(item, style="List Bullet")
        self.tag("{%p endfor %}")
        if empty:
            self.tag("{%p else %}")
            self.p(empty, style="Small")
            self.tag("{%p endif %}")

    def paragraphs(self, expr: str, empty: str | None = None):
        """A text field shown as one paragraph per line; ``empty`` says why when there is none."""
        if empty:
            self.tag(f"{{%p if {expr} %}}")
        self.tag(f"{{%p for line in {expr} %}}")
        self.p("{{ line }}")
        self.tag("{%p endfor %}")
        if empty:
            self.tag("{%p else %}")
            self.p(empty, style="Small")
            self.tag("{%p endif %}")

    # ---- tables
    def kv(self, pairs: list[tuple[str, str]], widths=(4.5, None)):
        table = self.doc.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER     # full width: its borders on the margins, as every table's
        for key, value in pairs:
            row = table.add_row()
            self._cell(row.cells[0], key, "Table Text", bold=True, fill="E8EEF5")
            self._cell(row.cells[1], value, "Table Text")
        self._widths(table, [widths[0], self.width_cm - widths[0]])
        self.doc.add_paragraph()

    def table(self, header: list[str], body: list[str], loop: str, total: list[str] | None = None,
              widths: list[float] | None = None, numeric: set[int] = frozenset(), empty: str | None = None,
              keep: bool = False):
        """A table: repeated header row, one row per item of ``loop``, optional total row.

        Cells that are tc-loop tags ('{%tc ...%}') count as cells in every row. ``keep`` keeps the
        whole table on one page with the paragraph before it (its heading).
        """
        seq = loop.split(" in ", 1)[1]
        if empty:
            self.tag(f"{{%p if {seq} %}}")
        ncols = len(header)
        rows = 4 + (1 if total else 0)
        table = self.doc.add_table(rows=rows, cols=ncols)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        head = table.rows[0]
        self._repeat_header(head)
        for i, text in enumerate(header):
            self._cell(head.cells[i], text, "Table Heading", fill=HEADER_FILL,
                       align_right=i in numeric)
        loop_row = table.rows[1]
        self._cell(loop_row.cells[0], f"{{%tr for {loop} %}}", "Table Text")
        item = table.rows[2]
        for i, text in enumerate(body):
            self._cell(item.cells[i], text, "Table Number" if i in numeric else "Table Text")
        self._cell(table.rows[3].cells[0], "{%tr endfor %}", "Table Text")
        if total:
            tot = table.rows[-1]
            for i, text in enumerate(total):
                self._cell(tot.cells[i], text, "Table Number" if i in numeric else "Table Text",
                           bold=True, fill="E8EEF5")
        if widths:
            self._widths(table, widths)
        self._cant_split(table)
        if keep:
            for row in table.rows[:-1] if total else table.rows:
                for cell in row.cells:
                    for para in cell.paragraphs:
                        para.paragraph_format.keep_with_next = True
        if empty:
            self.tag("{%p else %}")
            self.p(empty, style="Small")
            self.tag("{%p endif %}")
        self.doc.add_paragraph()
        return table

    @staticmethod
    def _repeat_header(row):
        tr_pr = row._tr.get_or_add_trPr()
        el = OxmlElement("w:tblHeader")
        el.set(qn("w:val"), "true")
        tr_pr.append(el)

    @staticmethod
    def _cant_split(table):
        for row in table.rows:
            tr_pr = row._tr.get_or_add_trPr()
            el = OxmlElement("w:cantSplit")
            el.set(qn("w:val"), "true")
            tr_pr.append(el)

    @staticmethod
    def _cell(cell, text, style, bold=False, fill=None, align_right=False):
        para = cell.paragraphs[0]
        para.style = style
        run = para.add_run(text)
        if bold:
            run.bold = True
        if align_right:
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if fill:
            tc_pr = cell._tc.get_or_add_tcPr()
            shd = OxmlElement("w:shd")
            shd.set(qn("w:val"), "clear")
            shd.set(qn("w:color"), "auto")
            shd.set(qn("w:fill"), fill)
            tc_pr.append(shd)

    def _widths(self, table, widths):
        widths = [w if w is not None else 3.0 for w in widths]
        table.autofit = False
        for row in table.rows:
            for cell, width in zip(row.cells, widths):
                cell.width = Cm(width)
        grid = table._tbl.tblGrid
        for col, width in zip(grid.findall(qn("w:gridCol")), widths):
            col.set(qn("w:w"), str(int(Cm(width).twips)))

    def save(self, path: Path):
        self.doc.core_properties.author = "grantflow"
        self.doc.core_properties.title = "{{ doc.title }}"
        trim(self.doc)
        self.doc.save(path)


def trim(doc) -> None:
    """Leave out what no document uses, since every rendered document carries it: Word 2010's
    copy of the styles (stylesWithEffects.xml, 430 KB; Word rebuilds it), the blank-page
    thumbnail, and the styles nothing refers to (styles.xml 340 KB -> a few KB)."""
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rid)
    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype.endswith("/metadata/thumbnail"):
            del package.rels[rid]
    styles = doc.styles.element
    refs = (".//w:pStyle/@w:val | .//w:rStyle/@w:val | .//w:tblStyle/@w:val | .//w:numStyleLink/@w:val"
            " | .//w:styleLink/@w:val")
    wanted = set()
    for part in package.iter_parts():
        element = getattr(part, "element", None) if part is not doc.part._styles_part else None
        if element is not None:
            wanted.update(element.xpath(refs))
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    wanted.update(i for i, s in by_id.items() if s.get(qn("w:default")) in ("1", "true"))
    todo = list(wanted)
    while todo:   # a kept style keeps what it is based on, links to and is followed by
        style = by_id.get(todo.pop())
        for tag in ("w:basedOn", "w:next", "w:link"):
            ref = style.find(qn(tag)) if style is not None else None
            if ref is not None and ref.get(qn("w:val")) not in wanted:
                wanted.add(ref.get(qn("w:val")))
                todo.append(ref.get(qn("w:val")))
    for style_id, style in by_id.items():
        if style_id not in wanted:
            styles.remove(style)


def title_block(b: Builder, rows: list[tuple[str, str]]):
    b.kv(rows)


YEAR_TABLE = "grantflow:year-columns"


def risk_table(b: Builder, rows: str, empty: str):
    """Risks with S, K and the computed RF coloured by level."""
    b.table(["Risiko", "S", "K", "RF", "Tiltak"],
            ["{{ r.risk }}", "{{ r.s }}", "{{ r.k }}", "{% cellbg r.color %}{{ r.rf }}", "{{ r.mitigation }}"],
            f"r in {rows}", widths=[4.6, 0.9, 0.9, 1.1, 9.5], numeric={1, 2, 3}, empty=empty)


def year_table(b: Builder, first: str, rows: str, years: str, total_cells: str, total_label: str = "Sum",
               keep: bool = True):
    head = [first, f"{{%tc for y in {years} %}}", "{{ y }}", "{%tc endfor %}", "Sum"]
    body = ["{{ r.label }}", "{%tc for c in r.cells %}", "{{ c }}", "{%tc endfor %}", "{{ r.total }}"]
    tot = [total_label, f"{{%tc for c in {total_cells}.cells %}}", "{{ c }}", "{%tc endfor %}", f"{{{{ {total_cells}.total }}}}"]
    w = b.width_cm
    table = b.table(head, body, f"r in {rows}", tot, widths=[w * 0.36, 0.5, w * 0.32, 0.5, w * 0.32 - 1.0],
                    numeric={1, 2, 3, 4}, keep=keep)
    # The renderer re-spreads the columns of tables with this caption once the years are known.
    caption = OxmlElement("w:tblCaption")
    caption.set(qn("w:val"), YEAR_TABLE)
    table._tbl.tblPr.append(caption)


def signature_lines(b: Builder, who: str, title: str):
    """Place, date and signature, then who signs; a name the data leaves empty is left out (empty
    lines at the end of a document can spill onto a page of their own)."""
    b.p("", keep=True)
    b.p("Sted og dato: ______________________________        Underskrift: ______________________________",
        keep=bool(who or title))
    for text in (who, title):
        if text.startswith("{{"):
            b.tag(f"{{%p if {text[2:-2].strip()} %}}")
            b.p(text, style="Small")
            b.tag("{%p endif %}")
        elif text:
            b.p(text, style="Small")


def application() -> Builder:
    b = Builder()
    b.title("Søknad om skjønnsmidler", "{{ project.name }}")
    title_block(b, [("Til", "{{ addressee }}"), ("Søker", "{{ council.name }}"),
                    ("Organisasjonsnummer", "{{ council.org_number }}"), ("Prosjekt", "{{ project.name }}"),
                    ("Søknadsrunde", "{{ call }}"), ("Omsøkt beløp", "{{ budget.applied }}"),
                    ("Prosjektperiode", "{{ project.period }}"), ("Dato", "{{ doc.date }}"),
                    ("Versjon", "{{ doc.version }}")])
    b.h1("1. Sammendrag")
    b.paragraphs("text.summary", empty="Sammendrag mangler i prosjektets oppsett.")
    b.tag("{%p if history %}")
    b.h2("Tidligere tildelinger og status")
    b.p("{{ history.intro }}", keep=True)
    b.table(["År", "Tildelt av", "Saksnr.", "Vedtak", "Beløp (kr)"],
            ["{{ g.year }}", "{{ g.funder }}", "{{ g.reference }}", "{{ g.decided }}", "{{ g.amount }}"],
            "g in history.grants", widths=[1.5, 7.0, 3.0, 2.5, 3.0], numeric={4}, keep=True)
    b.tag("{%p for line in history.lines %}")
    b.p("{{ line }}")
    b.tag("{%p endfor %}")
    b.tag("{%p endif %}")
    b.h1("2. Søker og kontaktpersoner")
    b.table(["Rolle", "Organisasjon", "Kontakt", "E-post"],
            ["{{ r.role }}", "{{ r.organisation }}", "{{ r.name }}", "{{ r.email }}"], "r in contacts",
            widths=[2.6, 4.2, 3.4, 6.8])
    b.h2("Deltakende kommuner og samarbeidspartnere")
    b.p("Kommuner ({{ participants|length }}): {{ participants|join(', ') }}.")
    b.tag("{%p if partners %}")
    b.p("Samarbeidspartnere: {{ partners|join(', ') }}.")
    b.tag("{%p endif %}")
    b.h1("3. Bakgrunn og utfordring")
    b.paragraphs("text.background", empty="Ikke beskrevet i prosjektets oppsett.")
    b.paragraphs("text.challenge")
    b.h1("4. Mål")
    b.h2("Hovedmål")
    b.bullets("g in goals.main", "{{ g }}", empty="Ikke angitt.")
    b.h2("Resultatmål")
    b.bullets("g in goals.result", "{{ g }}", empty="Ikke angitt.")
    b.tag("{%p if goals.effect %}")
    b.h2("Effektmål")
    b.bullets("g in goals.effect", "{{ g }}")
    b.tag("{%p endif %}")
    b.h1("5. Forankring og organisering")
    b.paragraphs("text.anchoring", empty="Forankringen er ikke beskrevet i prosjektets oppsett.")
    b.paragraphs("text.organisation", empty="Organiseringen er ikke beskrevet i prosjektets oppsett.")
    b.h2("Styringsgruppe")
    b.table(["Navn", "Rolle", "Organisasjon"], ["{{ r.name }}", "{{ r.role }}", "{{ r.organisation }}"],
            "r in steering_group", widths=[6, 4, 7], empty="Styringsgruppen er ikke oppnevnt.")
    b.h1("6. Aktiviteter og milepæler")
    b.h2("Hovedaktiviteter")
    b.table(["Nr", "Aktivitet", "Hensikt og forventet resultat", "Hovedansvar"],
            ["{{ a.number }}", "{{ a.title }}{% if a.subs %} ({{ a.subs }}){% endif %}", "{{ a.purpose }}",
             "{{ a.responsible }}"], "a in activities", widths=[0.9, 5.6, 6.5, 4.0],
            empty="Ingen aktiviteter er lagt inn.")
    b.h2("Milepælsplan")
    b.table(["Nr", "Dato", "Hendelse", "Merknad"], ["{{ r.number }}", "{{ r.date }}", "{{ r.event }}", "{{ r.note }}"],
            "r in milestones", widths=[1.0, 3.2, 8.8, 4.0], empty="Ingen milepæler er lagt inn.")
    b.h1("7. Risikoanalyse")
    b.p("Sannsynlighet (S) og konsekvens (K) på en skala 1–5; risikofaktor RF = S × K.", style="Small", keep=True)
    risk_table(b, "risks", "Prosjektplanen har ingen risikotabell.")
    b.tag("{%p if success_factors %}")
    b.h2("Kritiske suksessfaktorer")
    b.bullets("f in success_factors", "{{ f }}")
    b.tag("{%p endif %}")
    b.h1("8. Kostnadsbudsjett ({{ budget.unit_label }})")
    year_table(b, "Kategori", "budget.cost_rows", "budget.years", "budget.cost_total")
    b.h1("9. Finansieringsplan ({{ budget.unit_label }})")
    year_table(b, "Kilde", "budget.financing_rows", "budget.years", "budget.financing_total")
    b.p("{{ budget.balance }}")
    b.tag("{%p for line in budget.balance_notes %}")
    b.p("{{ line }}", style="Small")
    b.tag("{%p endfor %}")
    b.p("Omsøkt beløp: {{ budget.applied }}.")
    b.p("{{ budget.own_effort }}")
    b.h1("10. Kostnadsfordeling mellom kommunene (i kr)")
    b.p("{{ split.note }}", keep=True)
    b.tag("{%p if split.invoiced %}")
    b.p("{{ split.basis }}", keep=True)
    year_table(b, "Kommune", "split.rows", "split.years", "split.total")
    b.tag("{%p endif %}")
    b.h1("11. Overføringsverdi")
    b.paragraphs("text.transfer_value", empty="Ikke beskrevet i prosjektets oppsett.")
    b.p("")
    b.p("For prosjekteier {{ signature.owner }}:", keep=True)
    signature_lines(b, "{{ signature.name }}", "{{ signature.role }}")
    return b


def status() -> Builder:
    b = Builder()
    b.title("Statusrapport", "{{ project.name }}")
    # the meeting the report is for, first: a printed or forwarded copy did not say (an outside reader)
    title_block(b, [("Til", "{{ addressee }}"), ("Prosjekt", "{{ project.name }}"),
                    ("Rapportperiode", "{{ doc.period }}"), ("Status per", "{{ as_of }}"),
                    ("Prosjektleder", "{{ project.leader }}"), ("Dato", "{{ doc.date }}"),
                    ("Versjon", "{{ doc.version }}")])
    b.h1("1. Samlet status")
    b.table(["Samlet vurdering", "Kommentar"], ["{% cellbg overall.color %}{{ overall.label }}", "{{ overall.text }}"],
            "overall in [overall]", widths=[3.5, 13.5])
    b.table(["Område", "Status", "Kommentar"],
            ["{{ r.name }}", "{% cellbg r.color %}{{ r.label }}", "{{ r.comment }}"], "r in dimensions",
            widths=[3.2, 2.6, 11.2])
    b.h1("2. Beslutninger styringsgruppen må ta")
    b.table(["Sak", "Forslag til vedtak"], ["{{ d.matter }}", "{{ d.proposal }}"], "d in decisions",
            widths=[7.0, 10.0], empty="Ingen saker til beslutning.")
    b.h1("3. Milepæler")
    b.table(["Nr", "Milepæl", "Planlagt", "Status", "Faktisk", "Kommentar"],
            ["{{ r.number }}", "{{ r.event }}", "{{ r.planned }}", "{% cellbg r.color %}{{ r.status }}",
             "{{ r.actual }}", "{{ r.comment }}"], "r in milestones",
            widths=[0.9, 4.9, 2.5, 3.0, 2.1, 3.6], empty="Ingen milepæler er lagt inn.")
    b.p("{{ chart_timeline }}")
    b.h1("4. Økonomi ({{ economy.unit_label }})")
    b.p("«Plan til nå» er årets budsjett fordelt jevnt over prosjektets dager i året fram til "
        "rapportdatoen; avviket er regnskap minus plan til nå.", style="Small", keep=True)
    b.tag("{%p if economy.stale %}")
    b.p("{{ economy.stale }}", keep=True)
    b.tag("{%p endif %}")
    b.table(["År", "Kategori", "Budsjett året", "Plan til nå", "Regnskap", "Avvik", "Avvik %"],
            ["{{ r.year }}", "{{ r.category }}", "{{ r.budget }}", "{{ r.planned }}", "{{ r.actual }}",
             "{{ r.deviation }}", "{{ r.share }}"],
            "r in economy.rows", ["Sum", "", "{{ economy.total.budget }}", "{{ economy.total.planned }}",
                                  "{{ economy.total.actual }}", "{{ economy.total.deviation }}",
                                  "{{ economy.total.share }}"],
            widths=[1.2, 5.0, 2.2, 2.2, 2.2, 2.1, 2.1], numeric={2, 3, 4, 5, 6}, empty="Ingen budsjett eller regnskap.")
    b.kv([("Budsjett hele perioden", "{{ economy.budget_total }}"),
          ("Planlagt forbruk til nå", "{{ economy.planned_to_date }}"),
          ("Regnskap til nå", "{{ economy.actual_total }}"),
          ("Prognose hele perioden", "{{ economy.forecast_total }}"),
          ("Avvik prognose mot budsjett", "{{ economy.forecast_deviation }}"),
          ("Egeninnsats", "{{ economy.hours }}")], widths=(6.0, None))
    b.p("{{ chart_budget }}")
    b.h1("5. Største risikoer")
    b.tag("{%p if risk_rule %}")
    b.p("{{ risk_rule }}", style="Small", keep=True)
    b.tag("{%p endif %}")
    risk_table(b, "top_risks", "Ingen risikoer er registrert.")
    b.h1("6. Avvik")
    b.bullets("d in deviations", "{{ d }}", empty="Ingen avvik.")
    b.h1("7. Neste periode")
    b.bullets("d in next_period", "{{ d }}", empty="Ingen planlagte milepæler eller aktiviteter.")
    b.h1("8. Endringer siden forrige rapport")
    b.bullets("c in changes", "{{ c }}", empty="Ingen tidligere statusrapport å sammenligne med.")
    return b


def final() -> Builder:
    b = Builder()
    b.title("Sluttrapport", "{{ project.name }}")
    title_block(b, [("Til", "{{ addressee }}"), ("Prosjekt", "{{ project.name }}"),
                    ("Saksnummer (tilsagn)", "{{ references }}"), ("Prosjekteier", "{{ project.owner }}"),
                    ("Prosjektperiode", "{{ project.period }}"), ("Prosjektleder", "{{ project.leader }}"),
                    ("Dato", "{{ doc.date }}"), ("Versjon", "{{ doc.version }}")])
    b.h1("1. Sammendrag")
    b.paragraphs("text.summary", empty="Sammendrag mangler i prosjektets oppsett.")
    b.h2("Tilskudd og ubrukte midler")
    b.paragraphs("unused_sentences")
    b.h1("2. Mål og målrealisering")
    b.table(["Mål", "Måloppnåelse"], ["{{ r.goal }}", "{{ r.achievement }}"], "r in goals",
            widths=[7.5, 9.5], empty="Ingen mål er registrert.")
    b.h1("3. Gjennomføring og milepæler")
    b.table(["Nr", "Milepæl", "Planlagt", "Levert", "Forsinkelse (dager)", "Status"],
            ["{{ r.number }}", "{{ r.event }}", "{{ r.planned }}", "{{ r.actual }}", "{{ r.days }}",
             "{% cellbg r.color %}{{ r.status }}"], "r in milestones",
            widths=[0.9, 5.8, 2.5, 2.3, 2.2, 3.3], numeric={4}, empty="Ingen milepæler er lagt inn.")
    b.p("{{ chart_timeline }}")
    b.h1("4. Avvik og forklaringer")
    b.tag("{%p if deviations %}")
    b.tag("{%p for d in deviations %}")
    b.p("{{ d.title }}", style="List Bullet")
    b.p("{{ d.explanation }}")
    b.tag("{%p endfor %}")
    b.tag("{%p else %}")
    b.p("Prosjektet er gjennomført uten avvik fra søknaden i fremdrift og økonomi.")
    b.tag("{%p endif %}")
    b.h1("5. Organisering")
    b.paragraphs("text.organisation", empty="Ikke beskrevet i prosjektets oppsett.")
    b.h1("6. Regnskap og finansiering")
    b.tag("{%p if economy.stale %}")
    b.p("{{ economy.stale }}", keep=True)
    b.tag("{%p endif %}")
    b.h2("Regnskap mot budsjett ({{ economy.unit_label }})")
    b.table(["Kategori", "Budsjett", "Regnskap", "Avvik", "Avvik %"],
            ["{{ r.category }}", "{{ r.budget }}", "{{ r.actual }}", "{{ r.deviation }}", "{{ r.share }}"],
            "r in economy.by_category", ["Sum", "{{ economy.total.budget }}", "{{ economy.total.actual }}",
                                         "{{ economy.total.deviation }}", "{{ economy.total.share }}"],
            widths=[7.4, 2.5, 2.5, 2.5, 2.1], numeric={1, 2, 3, 4}, keep=True,
            empty="Ingen budsjett eller regnskap er registrert.")
    b.p("{{ chart_budget }}")
    b.h2("Tilskudd og finansiering per kilde (i kr)")
    b.table(["Kilde", "Saksnr.", "Planlagt", "Tilsagn", "Brukt", "Ubrukt", "Disponering"],
            ["{{ r.source }}", "{{ r.reference }}", "{{ r.planned }}", "{{ r.granted }}", "{{ r.used }}",
             "{{ r.unused }}", "{{ r.disposition }}"],
            "r in financing", ["Sum", "", "{{ financing_total.planned }}", "{{ financing_total.granted }}",
                               "{{ financing_total.used }}", "{{ financing_total.unused }}",
                               "{{ financing_total.disposition }}"],
            widths=[3.6, 2.6, 2.1, 2.1, 2.1, 2.0, 2.5], numeric={2, 3, 4, 5}, keep=True)
    b.tag("{%p if financing_balance %}")
    b.p("{{ financing_balance }}")
    b.tag("{%p endif %}")
    b.tag("{%p if settlement %}")
    b.h2("Avregning med kommunene (i kr)")
    b.p("{{ settlement.text }}", keep=True)
    b.table(["Kommune", "Andel", "{{ settlement.column }}"],
            ["{{ r.name }}", "{{ r.share }}", "{{ r.amount }}"],
            "r in settlement.rows", ["Sum", "", "{{ settlement.total }}"], widths=[7.4, 3.0, 3.6],
            numeric={1, 2}, keep=True)
    b.tag("{%p endif %}")
    b.h2("Hva midlene er brukt til (i kr)")
    b.table(["Kilde", "Kategori", "Brukt"], ["{{ r.source }}", "{{ r.category }}", "{{ r.used }}"],
            "r in used_for", ["Sum", "", "{{ financing_total.used }}"], widths=[6.6, 7.0, 3.4], numeric={2},
            keep=True, empty="Ingen utgifter er ført i regnskapet.")
    b.p("Egeninnsats: {{ economy.hours_text }} (plan: {{ economy.hours_planned }}).")
    b.h1("7. Resultater")
    b.bullets("x in evaluation.results", "{{ x }}", empty="Resultater er ikke beskrevet i prosjektets notater.")
    b.h1("8. Erfaringer")
    b.bullets("x in evaluation.lessons", "{{ x }}", empty="Erfaringer er ikke beskrevet i prosjektets notater.")
    b.h2("Kritiske suksessfaktorer")
    b.bullets("x in evaluation.success_factors", "{{ x }}", empty="Ikke beskrevet i prosjektets notater.")
    b.h2("Problemer underveis")
    b.bullets("x in evaluation.problems", "{{ x }}", empty="Ingen problemer er registrert.")
    b.h1("9. Konklusjon")
    b.paragraphs("evaluation.conclusion", empty="Konklusjon er ikke skrevet i prosjektets notater.")
    b.h2("Hva kunne vært gjort annerledes")
    b.bullets("x in evaluation.differently", "{{ x }}", empty="Ikke beskrevet i prosjektets notater.")
    b.h2("Videreføring")
    b.paragraphs("evaluation.further_work", empty="Videreføring er ikke beskrevet i prosjektets notater.")
    b.h1("10. Bekreftelse og underskrift")
    b.p("{{ signature.accounts }}", keep=True)
    signature_lines(b, "Økonomiansvarlig / revisor", "")
    b.p("Sluttrapporten er godkjent av prosjekteier {{ signature.owner }}.", keep=True)
    signature_lines(b, "For prosjekteier", "{{ signature.owner }}")
    return b


def usage() -> Builder:
    b = Builder(landscape=True)
    b.title("Rapportering om bruk av skjønnsmidler", "{{ council.name }} – per {{ per }}")
    # the year still running: a draft, said before anything else (it went out dated 31.12 with no word)
    b.tag("{%p if draft %}")
    b.p("").add_run("{{ draft }}").bold = True
    b.tag("{%p endif %}")
    title_block(b, [("Til", "{{ addressee }}"), ("Regionråd", "{{ council.name }}"),
                    ("Rapport per", "{{ per }}"), ("Dato", "{{ doc.date }}"),
                    ("Versjon", "{{ doc.version }}")])
    b.p("{{ intro }}")
    w = b.width_cm
    b.table(["Prosjekt", "Saksnr.", "Tildelt", "Brukt", "Ubrukt", "Disponering", "Status", "Resultater"],
            ["{{ r.project }}", "{{ r.reference }}", "{{ r.granted }}", "{{ r.spent }}", "{{ r.unused }}",
             "{{ r.disposition }}", "{% cellbg r.color %}{{ r.status }}", "{{ r.results }}"], "r in rows",
            ["Sum", "", "{{ total.granted }}", "{{ total.spent }}", "{{ total.unused }}", "{{ total.disposition }}",
             "", ""],
            widths=[4.0, 2.6, 2.2, 2.2, 2.1, 2.6, 4.2, w - 19.9], numeric={2, 3, 4},
            empty="Ingen prosjekter med tildelte skjønnsmidler dette året.")
    b.tag("{%p for line in notes %}")
    b.p("{{ line }}")
    b.tag("{%p endfor %}")
    b.h1("Godkjenning")
    b.p("Rapporten er godkjent av {{ council.name }}.")
    signature_lines(b, "{{ council.secretariat }}", "")
    return b


def costsplit() -> Builder:
    b = Builder()
    b.title("Kostnadsfordeling", "{{ project.name }}")
    title_block(b, [("Prosjekt", "{{ project.name }}"), ("Regionråd", "{{ council.name }}"),
                    ("År", "{{ doc.period }}"), ("Fordelingsnøkkel", "{{ split.basis }}"),
                    ("Vedtak", "{{ decision }}"), ("Dato", "{{ doc.date }}"), ("Versjon", "{{ doc.version }}")])
    b.p("{{ split.note }}")
    b.tag("{%p if split.invoiced %}")
    b.h2("Fakturering")
    b.paragraphs("invoicing")
    b.p("Beløp i hele kroner; andelene summerer seg eksakt til totalen (største-rest-metoden).", style="Small",
        keep=True)
    b.h1("Oversikt per kommune og år (i kr)")
    year_table(b, "Kommune", "split.rows", "split.years", "split.total")
    b.tag("{%p endif %}")
    b.tag("{%p for t in tables %}")
    b.p("{{ t.title }}", style="Heading 1")
    b.p("{{ t.basis }}", style="Small", keep=True)
    # an agreed percentage key: the municipality, its percentage and its amount (no equal share)
    b.tag("{%p if t.agreed %}")
    b.table(["Kommune", "{{ t.weight_label }}", "Sum"], ["{{ r.name }}", "{{ r.weight }}", "{{ r.total }}"],
            "r in t.rows", ["Sum", "{{ t.sum.weight }}", "{{ t.sum.total }}"],
            widths=[7.4, 4.3, 5.3], numeric={1, 2}, keep=True)
    b.tag("{%p else %}")
    b.table(["Kommune", "{{ t.weight_label }}", "Lik andel", "Etter vekt", "Sum", "Andel"],
            ["{{ r.name }}", "{{ r.weight }}", "{{ r.equal }}", "{{ r.weighted }}", "{{ r.total }}", "{{ r.percent }}"],
            "r in t.rows", ["Sum", "{{ t.sum.weight }}", "{{ t.sum.equal }}", "{{ t.sum.weighted }}",
                            "{{ t.sum.total }}", "{{ t.sum.percent }}"],
            widths=[4.4, 2.9, 2.5, 2.6, 2.6, 2.0], numeric={1, 2, 3, 4, 5}, keep=True)
    b.tag("{%p endif %}")
    b.tag("{%p endfor %}")
    return b


KINDS = {
    "soknad.docx": application,
    "statusrapport.docx": status,
    "sluttrapport.docx": final,
    "skjonnsmidler-bruk.docx": usage,
    "kostnadsfordeling.docx": costsplit,
}


def build(target: Path) -> dict[str, Path]:
    target.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, make in KINDS.items():
        make().save(target / name)
        out[name] = target / name
    return out


def fingerprint(path: Path) -> str:
    """A hash of the template's XML parts (zip timestamps and core properties left out)."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(path) as zf:
        for name in sorted(zf.namelist()):
            if name.startswith("docProps/"):
                continue
            digest.update(name.encode())
            digest.update(zf.read(name))
    return digest.hexdigest()


if __name__ == "__main__":
    if "--check" in sys.argv:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            fresh = build(Path(tmp))
            stale = [n for n, p in fresh.items() if not (HERE / n).exists() or fingerprint(p) != fingerprint(HERE / n)]
        if stale:
            print("templates out of date: " + ", ".join(stale) + " (run python templates/build_templates.py)")
            sys.exit(1)
        print("templates in sync")
    else:
        for name in build(HERE):
            print(f"wrote templates/{name}")
