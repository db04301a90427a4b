"""The project register: councils, municipalities and projects (pydantic v2).

Every model forbids unknown keys, so a misspelt key in a YAML file is reported, not ignored.
Amounts in a project's budget are in the project's ``budget.unit`` (1 or 1000 kr); the
``*_kr`` helpers convert to whole kroner for computation.
"""

from __future__ import annotations

import calendar
import functools
import re
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from . import numbers
from .text import SUM_WORD, free_text, is_total, name_key, one_line, slug

# RFC 5322 dot-atom local part (atext, dots only between atoms; the apostrophe refused as before)
# and RFC 1035/5321 hostname labels (letters, digits, inner hyphens, at most 63), a letters-only
# top-level label: 'a..b@b.no' and 'c@-b.no' were accepted and sent to (found by an outside tester)
_ATOM = r"[A-Za-z0-9!#$%&*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^(?={_ATOM}(?:\.{_ATOM})*@)[^@]{{1,64}}@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$", re.ASCII)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$", re.ASCII)


def email_address(value: str) -> str:
    """A plain address (``name@example.no``): ASCII only (an address with æøå needs SMTPUTF8,
    which grantflow does not speak, so it would be mangled or refused on the way), no display
    name, no second address."""
    if not isinstance(value, str) or not value.isascii() or not _EMAIL.match(value) or len(value) > 254:
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "…"
        hint = " (letters such as æ, ø, å cannot be used in addresses here)" \
            if isinstance(value, str) and not value.isascii() else ""
        raise ValueError(f"not an e-mail address: {shown}{hint}")
    if "=?" in value:
        # a mail program decodes an RFC 2047 encoded word in the address too (a line break in it
        # stopped the send, never validation)
        raise ValueError(f"not an e-mail address: {value!r} contains an RFC 2047 encoded word (=?…?=)")
    return value


class InThousands:
    """An amount of a budget in 1000 kr as written, marked by ``Budget`` for ``_number`` to read
    in that unit (where ``800.500`` is ambiguous)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _number(value, unit: str = "kr") -> Decimal:
    if isinstance(value, InThousands):
        value, unit = value.value, "1000 kr"
    number = numbers.read_number(value, unit)
    if number is None:
        raise ValueError("a number is required here")
    return number


def _hours(value) -> Decimal:
    return _number(value, "timer")


def _rate(value) -> Decimal:
    return _number(value, "kr/time")


def _whole(value):
    """A whole number (a score, days, a year) as YAML wrote it: ``3.000`` is YAML's 3.0 and a
    Norwegian 3 000, refused with both readings; anything else is left to the field's type."""
    if isinstance(value, float) and getattr(value, "source", None) is not None:
        try:
            reading = numbers.read_number_text(value.source)
        except numbers.NumberError:
            return value                     # not a number grantflow reads: the field's type says so
        numbers.check_point(reading, value.source, "whole", point=True)
    return value


def _count(value) -> int:
    number = _number(value, "")
    if number != number.to_integral_value() or number < 0:
        raise ValueError(f"{numbers.show(number)} is not a whole number of zero or more")
    return int(number)


def _weight(value) -> float:
    number = _number(value, "")
    if number < 0:
        raise ValueError(f"negative weight {numbers.show(number)}")
    return float(number)


def _day(value) -> date:
    day = numbers.read_date(value)
    if day is None:
        raise ValueError(f"a date is required here ({numbers.DATE_FORMATS})")
    return day


def _year_only(value):
    """A year, not the date it counts from: 'weight_year: 1.1.2026' said only 'cannot read … as a number'."""
    said = numbers.date_for_year(value)
    if said:
        raise ValueError(said)
    return value


def _percent_weights(value):
    """An agreed percentage key (``prosentandel``) may give each year's share with its sign,
    ``{2026: "40 %"}``, as ``equal_percent`` may; another key's figure is no percentage."""
    if not isinstance(value, dict):
        return value
    def bare(figure):
        return figure.strip()[:-1] if isinstance(figure, str) and figure.strip().endswith("%") else figure
    return {key: {year: bare(figure) for year, figure in years.items()}
            if isinstance(key, str) and is_percentage_key(key) and isinstance(years, dict) else years
            for key, years in value.items()}


def _year_keys(value):
    """Budget amounts by year: each key a year 1900–2100 written as four digits (2016: 412000).
    02016 is octal to YAML (1038), true is 1, ' 2016' is text: refused. A year given twice (2016
    and "2016", as JSON writes keys) is refused rather than letting one of them win."""
    if not isinstance(value, dict):
        return value
    out: dict[int, object] = {}
    for key, amount in value.items():
        year = int(key) if isinstance(key, str) and re.fullmatch(r"[0-9]{4}", key) else key
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
            shown = repr(key) if len(repr(key)) <= 40 else repr(key)[:37] + "…"
            comma = " (a decimal comma inside {…} splits the number in two: write 1.5 or '1,5')" \
                if amount is None and isinstance(year, int) and not isinstance(year, bool) else ""
            raise ValueError(f"{shown} is not a year: write each year as four digits without quotes "
                             "or a leading zero, e.g. {2016: 412000}" + comma)
        if year in out:
            raise ValueError(f"{year} is given twice (once as {key!r}): keep one amount per year")
        out[year] = amount
    return out


def _data_path(value: str) -> str:
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value) or ".." in parts or "\x00" in value \
            or not value.strip() or len(value) > 1000 or any(len(part.encode()) > 255 for part in parts):
        raise ValueError(f"{value[:100]!r} must be a path inside the config folder, relative to it "
                         "(e.g. 'data/my-project/regnskap.csv')")
    return one_line(value)


# The types a user writes in the register: read by the rules of grantflow.numbers and grantflow.text.
Amount = Annotated[Decimal, BeforeValidator(_number)]       # money (in the budget's unit)
Hours = Annotated[Decimal, BeforeValidator(_hours)]
Rate = Annotated[Decimal, BeforeValidator(_rate)]           # kroner per hour
Count = Annotated[int, BeforeValidator(_count)]             # inhabitants, pupils
Whole = Annotated[int, BeforeValidator(_whole)]             # a score, days (every plain int field is read so)
Weight = Annotated[float, BeforeValidator(_weight)]
Day = Annotated[date, BeforeValidator(_day)]                # dd.mm.åååå or åååå-mm-dd, 1900–2100
Slug = Annotated[str, AfterValidator(slug)]                 # ids: used in file names and on the command line
Line = Annotated[str, AfterValidator(one_line)]             # names: end up in headers and table cells
Text = Annotated[str, AfterValidator(free_text)]            # notes, comments: no bidirectional controls
EmailAddress = Annotated[str, AfterValidator(email_address)]
DataPath = Annotated[str, AfterValidator(_data_path)]
YearAmounts = Annotated[dict[int, Amount], BeforeValidator(_year_keys)]   # {2016: 412000}


class EntryError(ValueError):
    """A list's mistake that lies in one of its entries: ``loc`` (index, then keys) is added to
    the list's location, so the line names that entry (file line, workbook row), not the list."""

    def __init__(self, message: str, loc: tuple):
        super().__init__(message)
        self.loc = loc


def error_loc(err: dict) -> tuple:
    """A pydantic error's location, down to the entry an ``EntryError`` names."""
    return tuple(err["loc"]) + getattr(err.get("ctx", {}).get("error"), "loc", ())


def _once(names: list[str], what: str, key: tuple = ()) -> None:
    """A name listed twice (in any case) would be counted twice: an equal share too many, shares
    that do not add up to the total. Said at the second entry (``key``: where its name is)."""
    seen: dict[str, str] = {}
    for index, name in enumerate(names):
        folded = name_key(name)
        if folded in seen:
            raise EntryError(f"{what} {name!r} is listed twice" +
                             (f" (also as {seen[folded]!r})" if seen[folded] != name else ""), (index, *key))
        seen[folded] = name


DOCUMENT_KINDS = ("status", "costsplit", "application", "final", "usage")


def known_kinds(value):
    """A mapping keyed by document kind: a misspelt kind (``aplication``) is an error, not a
    setting that silently applies to nothing (and leaves the real kind on its default)."""
    if isinstance(value, dict):
        for key in value:
            if key not in DOCUMENT_KINDS:
                raise ValueError(f"unknown document kind {key!r} (use {', '.join(DOCUMENT_KINDS)})")
    return value


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _whole_with_a_point(cls, value, info):
        """A whole-number field (a score, a number of days, a year) written ``3.000`` in YAML: YAML
        reads 3.0, and a Norwegian 3 000 (as amounts are read); refused with both readings."""
        return _whole(value) if _whole_field(cls, info.field_name) else value


@functools.lru_cache(maxsize=512)
def _whole_field(model: type, name: str) -> bool:
    """An ``int`` field (or ``int | None``) without a reader of its own (``max_amount`` has one)."""
    field = model.model_fields.get(name)
    if field is None or any(isinstance(m, BeforeValidator) for m in field.metadata):
        return False
    kinds = set(typing.get_args(field.annotation)) - {type(None)} or {field.annotation}
    return kinds == {int}


def person_name(value: str) -> str:
    """A person's name: no text that reads as an address where the name is shown (the To line's
    display name, the greeting): ``Kari "Rådmann" <sjef@evil.example>, Bcc: x@evil.example``."""
    found = next((ch for ch in '<>@"' if ch in value), None)
    if found:
        raise ValueError(f"a name cannot hold {found!r}: it would show as an e-mail address in the mail's "
                         f"To line and greeting; write the name alone (the address goes in the e-mail field)")
    return value


PersonName = Annotated[str, AfterValidator(one_line), AfterValidator(person_name)]


class Person(Model):
    """A named person with a role; e-mail where the person receives documents."""

    name: PersonName = Field(min_length=1, description="Full name, or the office (e.g. 'Rådmannen i Bokn').")
    role: Line = Field("", description="Role in the project (e.g. 'leder', 'medlem', 'prosjektleder').")
    organisation: Line = Field("", description="Municipality or organisation the person represents.")
    email: str | None = Field(None, description="E-mail address; needed to receive documents.")
    phone: Line | None = Field(None, description="Phone; personal data, left out of public documents.")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else email_address(value)



class Municipality(Model):
    """A member municipality (kommune) of a council, with population on 1 January per year."""

    name: Line = Field(min_length=1, description="Municipality name as written in documents, e.g. 'Karmøy'.")
    population: Annotated[dict[int, Count], BeforeValidator(_year_keys)] = Field(
        default_factory=dict, description="Inhabitants on 1 January of each year: {2014: 41753}.")
    weights: Annotated[dict[Text, Annotated[dict[int, Weight], BeforeValidator(_year_keys)]],
                       BeforeValidator(_percent_weights)] = Field(
        default_factory=dict,
        description="Other split keys per year, e.g. {'elevtall': {2014: 3120}} (pupil numbers, GSI).")
    contact: EmailAddress | None = Field(
        None, description="The municipality's address for what it pays (e.g. postmottak@… or its finance office): "
                          "every cost split it has a share in is sent there too.")


# The roles that make a steering-group member its leader (styringsgruppeleder), in bokmål and
# nynorsk, any case: the application and the final report go to that member in copy.
LEADER_ROLES = ("leder", "styringsgruppeleder", "leiar", "styringsgruppeleiar")

RECIPIENT_WORDS = ("steering_group", "steering_group_leader", "leader", "contact", "county_governor", "secretariat")


def recipient_entry(value: str) -> str:
    """One entry of a recipients rule: a plain e-mail address or one of ``RECIPIENT_WORDS``
    (checked when the file is read, so a typo is reported with its file and line)."""
    if "@" in value:
        return email_address(value)
    if value not in RECIPIENT_WORDS:
        raise ValueError(f"unknown recipient {value!r} (use an e-mail address or one of: "
                         f"{', '.join(RECIPIENT_WORDS)})")
    return value


class RecipientRule(Model):
    """Who receives a document kind. Entries are plain e-mail addresses (no display name) or the
    words in ``RECIPIENT_WORDS``."""

    to: list[Annotated[Line, AfterValidator(recipient_entry)]] = Field(default_factory=list)
    cc: list[Annotated[Line, AfterValidator(recipient_entry)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _someone_to(self) -> "RecipientRule":
        # a rule written in a file replaces the defaults for its kind: without a 'to' nobody gets it
        if self.model_fields_set and not self.to:
            raise ValueError("a recipients rule needs at least one 'to' (an e-mail address or one of: "
                             f"{', '.join(RECIPIENT_WORDS)})")
        return self


def _month_day(value: str) -> str:
    """'01.03' (dd.mm; '1.3' too) -> '01.03'; a day every year has (not 29.02)."""
    parts = value.strip().rstrip(".").split(".")
    try:
        day, month = (int(part) for part in parts)
    except (TypeError, ValueError):
        raise ValueError(f"{value!r} is not a day of the year written dd.mm (e.g. 01.03)") from None
    if (day, month) == (29, 2):
        # it was "not a day of the year written dd.mm": it is one, only not every year's
        raise ValueError(f"{value!r} is refused because it is not in every year (29 February only in leap "
                         "years): write 28.02 or 01.03")
    try:
        date(2001, month, day)
    except ValueError:
        raise ValueError(f"{value!r} is not a day of the year written dd.mm (e.g. 01.03)") from None
    return f"{day:02d}.{month:02d}"


def _as_written(value):
    """A number YAML read from a text field's value (``each_year: 01.03`` unquoted is the float
    1.03): the value as written, which the field's own rule then reads."""
    source = getattr(value, "source", None)
    return source if isinstance(value, (int, float)) and not isinstance(value, bool) and source else value


class Invoicing(Model):
    """How the municipalities are invoiced for their share (shown in the cost split)."""

    issuer: Line = Field(description="Who sends the invoices, e.g. 'Haugaland Vekst IKS'.")
    when: Line = Field("", description="When invoices go out, e.g. 'i mars hvert år'.")
    each_year: Annotated[str, BeforeValidator(_as_written), AfterValidator(_month_day)] | None = Field(
        None, description="The day invoices go out each year, 'dd.mm' (e.g. '01.03'): the deadline watch sends "
                          "each project's cost split for that year to the steering group 7 days before.")
    due_days: int = Field(30, ge=0, le=120, description="Payment terms in days.")
    marking: Line = Field("", description="What the invoice is marked with, e.g. a project number.")
    contact: Line = Field("", description="Who answers questions about the invoice (office, e-mail).")

    def invoice_day(self, year: int) -> date | None:
        """The day the municipalities are invoiced in ``year`` (``each_year``), or None."""
        if not self.each_year:
            return None
        day, month = self.each_year.split(".")
        return date(year, int(month), int(day))


class Council(Model):
    """A regional council (regionråd / interkommunalt samarbeid) and its members."""

    id: Slug = Field(description="Short identifier used on the command line, e.g. 'haugaland-vekst'.")
    name: Line = Field(min_length=1, description="Official name, e.g. 'Haugaland Vekst'.")
    org_number: Line = Field("", description="Organisasjonsnummer of the applicant organisation (9 digits).")
    county: Line = Field("", description="Fylke of the county governor, e.g. 'Rogaland' (addressee of applications).")
    invoicing: Invoicing | None = Field(None, description="How member municipalities are invoiced.")
    secretariat: Person = Field(description="Daglig leder / regional koordinator; Reply-To of mail.")
    county_governor: Person = Field(
        description="The county governor's office (Statsforvalteren) that receives applications and reports.")
    population_source: Text = Field(
        description="Where the population figures come from and when they were read.")
    municipalities: list[Municipality] = Field(description="Member municipalities.")
    recipients: Annotated[dict[str, RecipientRule], BeforeValidator(known_kinds)] = Field(
        default_factory=dict, description="Per document kind: who receives it (overrides the defaults).")

    @field_validator("municipalities")
    @classmethod
    def _each_member_once(cls, value: list):
        _once([m.name for m in value], "municipality", ("name",))
        return value

    def governor_office(self, when: date) -> str:
        """The county governor by the name of the day: Statsforvalteren from 2021, before that
        Fylkesmannen (with ``county``); else the name configured. The configured name is the
        council's own spelling of it: where it is that day's name in nynorsk ("Statsforvaltaren i
        Vestland"), documents and mails say it so (the documents said "Til: Statsforvalteren i
        Vestland", the mail's To and greeting "Statsforvaltaren i Vestland": an outside tester)."""
        if self.county:
            office = f"{office_name('Statsforvalteren', when)} i {self.county}"
            configured = self.county_governor.name.strip()
            return configured if office_name(configured, when) == configured and \
                _bokmal(configured) == office else office
        return self.county_governor.name

    def office_name(self, text: str, when: date) -> str:
        """``text`` (a funder's or source's name) with the county governor named as on ``when``,
        as ``governor_office`` names it: only with ``county`` (else the names are as configured:
        an office whose region has changed, e.g. Fylkesmannen i Buskerud, has no such later name)."""
        return office_name(text, when) if self.county else text

    def municipality(self, name: str) -> Municipality | None:
        for item in self.municipalities:
            if name_key(item.name) == name_key(name):
                return item
        return None


# The county governor was renamed on 1 January 2021: Fylkesmannen became Statsforvalteren.
GOVERNOR_RENAMED = date(2021, 1, 1)
_GOVERNOR_WORD = re.compile(r"\b(Fylkesmannen|Statsforvalteren|Statsforvaltaren|Fylkesmannens|Statsforvalterens|"
                            r"Statsforvaltarens)\b")
_NYNORSK = re.compile(r"\bStatsforvaltaren")


def _bokmal(text: str) -> str:
    """The county governor's nynorsk name written in bokmål ("Statsforvaltaren" -> "Statsforvalteren")."""
    return _NYNORSK.sub("Statsforvalteren", text)


def office_name(text: str, when: date) -> str:
    """``text`` (a funder's or the office's name as config writes it, e.g. 'Fylkesmannen i
    Rogaland (skjønnsmidler)', 'Fylkesmannens skjønnsmidler') with the county governor named as on
    ``when``: one document and its mail name the office one way (the application's Til line said
    Statsforvalteren, its round line Fylkesmannen: found by an outside tester)."""
    new = when >= GOVERNOR_RENAMED

    def word(match: re.Match) -> str:
        genitive = match.group(1).endswith("s")
        if new and match.group(1).startswith("Statsforvaltaren"):
            return match.group(1)          # the name in nynorsk, as the council writes it
        base = "Statsforvalteren" if new else "Fylkesmannen"
        return base + ("s" if genitive else "")
    return _GOVERNOR_WORD.sub(word, text)


def _equal_percent(value) -> Decimal:
    """``equal_percent`` is a percent from 0 to 100. Between 0 and 1 it is ambiguous: 0.3 may be
    a share (30 %, as a spreadsheet writes it) or 0.3 %; no council splits less than 1 % equally,
    so it is refused rather than read either way."""
    number = _number(value, "%")
    signed = isinstance(value, str) and value.strip().endswith("%")      # '0,5 %' says which it is
    if 0 < number < 1 and not signed:
        shown = getattr(value, "source", None) or str(value)
        meant = numbers.show((number * 100).normalize())
        raise ValueError(f"{shown} is ambiguous ({meant} % or {numbers.show(number)} %?): write the percent "
                         f"shared equally as a number from 0 to 100, e.g. {meant} for {meant} %")
    return number


def is_percentage_key(key: str) -> bool:
    """A weight key whose name says it is an agreed percentage (``prosentandel``, ``andel_percent``):
    the whole key, each participant paying its percentage, never mixed with an equal share."""
    return any(word in key.casefold() for word in ("prosent", "percent"))


class SplitKey(Model):
    """How the municipalities' part of the costs is split (kostnadsfordeling).

    ``equal_percent`` is shared equally among the participants; the rest by ``weight``
    ('innbyggere' = population on 1 January of ``weight_year``, or any key in the
    municipalities' ``weights``). Left out, ``equal_percent`` is 30 (seed 000), but 0 for an
    agreed percentage key (``is_percentage_key``), and an equal share given beside such a key is
    refused: which of the two the council agreed cannot be told.
    """

    equal_percent: Annotated[Decimal, BeforeValidator(_equal_percent)] = Field(
        Decimal(30), ge=0, le=100, description=(
            "Percent split in equal shares (0-100: 30 for 30 %). Default 30; 0 for an agreed percentage "
            "key (a weight named with 'prosent' or 'percent'), which takes no equal share."))
    weight: Text = Field("innbyggere", description="'innbyggere' (population) or another weight key.")
    weight_year: Annotated[int | None, BeforeValidator(_year_only)] = Field(
        None, ge=1900, le=2100, description="Year whose 1 January figures are used; default: the year being split.")
    decision: Text = Field("", description="The decision the split rests on, e.g. 'Regionrådet 12.12.2014, sak 45/14'.")

    @model_validator(mode="after")
    def _agreed_percentages(self):
        # an agreed key 50/30/20 was billed 45/31/24 % with the default 30 % shared equally beside
        # it, and validate said nothing (found by a member municipality's finance officer)
        if not is_percentage_key(self.weight):
            return self
        if "equal_percent" not in self.model_fields_set:
            self.equal_percent = Decimal(0)
        elif self.equal_percent != 0:
            raise EntryError(
                f"{numbers.show(self.equal_percent)} % shared equally beside weight: {self.weight}, an agreed "
                f"percentage key: the agreed percentages are the whole key (each municipality pays its "
                f"percentage), so an equal share would bill other amounts than the agreement; remove "
                f"equal_percent (or write 0), or, if the key is a relative weight to combine with an equal "
                f"share, name it without 'prosent'/'percent'", ("equal_percent",))
        return self


class Goals(Model):
    """Hovedmål, resultatmål and effektmål."""

    main: list[Text] = Field(default_factory=list, description="Hovedmål.")
    result: list[Text] = Field(default_factory=list, description="Resultatmål / prosjektmål.")
    effect: list[Text] = Field(default_factory=list, description="Effektmål.")


class SubActivity(Model):
    id: Text = Field(description="Number such as '1.3'.")
    text: Text


class Activity(Model):
    """A numbered main activity (hovedaktivitet) with sub-activities and who is responsible."""

    number: int = Field(ge=1)
    title: Line
    responsible: Text = Field("", description="Hovedansvar.")
    purpose: Text = Field("", description="Hensikt.")
    result: Text = Field("", description="Forventet resultat.")
    subactivities: list[SubActivity] = Field(default_factory=list)


class Milestone(Model):
    """A milestone (milepæl): number, planned date and event.

    The date may be a day (2015-10-01) or, as in many plans, just a month ('2015-10'),
    which means the end of that month.
    """

    number: int = Field(ge=0)
    date: Day
    month_only: bool = Field(False, description="True when the plan gives only a month.")
    event: Line
    final_report: bool = Field(False, description=(
        "True for the milestone that is the delivery of the final report itself ('Sluttrapport levert'): "
        "the final report shows it as delivered with the report, never as late or not delivered."))

    @model_validator(mode="before")
    @classmethod
    def _month(cls, data):
        if isinstance(data, dict) and isinstance(data.get("date"), str):
            match = _MONTH.match(data["date"].strip())
            if match:
                year, month = int(match.group(1)), int(match.group(2))
                if 1 <= month <= 12:
                    data = dict(data)
                    data["date"] = date(year, month, calendar.monthrange(year, month)[1])
                    data["month_only"] = True
        return data

    def outside(self, period: Period) -> Literal["before", "after"] | None:
        """Where the milestone lies outside the project period, by its date as every document
        and validate read it: a month without a day counts as the month's last day."""
        if self.date < period.start:
            return "before"
        return "after" if self.date > period.end else None

    def read_past_end(self, period: Period) -> bool:
        """A month without a day whose month holds the project's end: read as its last day, it
        falls after the end ("2017-09" for a project ending 20.09.2017 is 30.09.2017)."""
        return self.month_only and self.date.replace(day=1) <= period.end < self.date


class Risk(Model):
    """A risk: probability S (1–5) × consequence K (1–5) = risk factor RF (computed)."""

    risk: Text = Field(description="What could go wrong.")
    probability: int = Field(ge=1, le=5, description="Sannsynlighet S, 1–5.")
    consequence: int = Field(ge=1, le=5, description="Konsekvens/kritikalitet K, 1–5.")
    rf: int | None = Field(None, description="RF as written in the source; checked, never used.")
    mitigation: Text = Field("", description="Mottiltak.")

    @property
    def factor(self) -> int:
        return self.probability * self.consequence


# Words a plan's own total row may hold beside a total word ('Sum finansiering', 'Sum budsjett'),
# as a ledger's total may hold its categories' names
_PLAN_WORDS = ("finansiering", "finansieringsplan", "inntekter", "budsjett", "kostnadsbudsjett")


def _not_a_total(what: str, noun: str, plan: str):
    """A plan line named by a total word alone ('Sum', 'Totalt', 'I alt 2016', ``text.is_total``):
    the total row of a plan written by hand or pasted from the leader's own sheet, whose amounts
    were counted as one more line (the application's budget doubled, 0 errors; found by an
    outside tester). A balance ('Overført saldo 2015', 'Inngående balanse') is money, not a total."""
    def check(value: str) -> str:
        if is_total(value, _PLAN_WORDS, SUM_WORD):
            raise ValueError(f"{numbers.echo(value, 60)} looks like a total row, not {what}: grantflow adds up "
                             f"the {plan} itself, so its amounts would be counted twice; delete it (a real "
                             f"{noun} should be named otherwise)")
        return value
    return check


class CostLine(Model):
    """One budget category with its amount per year.

    ``in_kind``: true for own effort (egeninnsats) valued in kroner, work the municipalities do
    themselves and never pay in cash; false for a cash cost. Left out, a line is a cash cost,
    unless its category reads as own effort: then grantflow cannot tell (see grantflow.owneffort).
    """

    category: Annotated[Line, AfterValidator(_not_a_total("a cost category", "category", "budget"))]
    amounts: YearAmounts = Field(description="Amount per year in the budget's unit.")
    in_kind: bool | None = Field(
        None, description="Egeninnsats: true = own effort valued in kroner (never invoiced), false = a cash cost.")


FinancingKind = Literal["skjønnsmidler", "tilskudd", "fond", "kommunene", "egeninnsats", "annet"]


class FinancingLine(Model):
    """One source of financing with its amount per year.

    ``kind: kommunene`` is the municipalities' share (split by the project's split key); when
    it has no amounts, it covers whatever the other sources leave.
    """

    source: Annotated[Line, AfterValidator(_not_a_total("a source of financing", "source", "financing plan"))] = Field(
        description="Name as written in documents, e.g. 'Fylkesmannens skjønnsmidler'.")
    kind: FinancingKind = "annet"
    funder: Slug | None = Field(None, description="Id of a funder in 'funders' this line comes from.")
    amounts: YearAmounts = Field(default_factory=dict)
    applied_for: bool = Field(False, description="True for the amount applied for in this application.")


def _unit(value):
    """``unit: 1.000`` is YAML's 1.0 (kroner) to a reader who meant 1 000 (thousands): every
    amount off by a factor 1 000 either way. Only 1 or 1000 written as digits is taken."""
    source = getattr(value, "source", None)
    if isinstance(value, float) or (source is not None and source not in ("1", "1000")):
        raise ValueError(f"write 1 (kroner) or 1000 (amounts in 1000 kr), digits only; not {source or value!r}")
    return value


def _amounts_in_thousands(line):
    amounts = line.get("amounts") if isinstance(line, dict) else None
    if not isinstance(amounts, dict):
        return line
    return {**line, "amounts": {year: InThousands(value) if isinstance(value, (str, float)) else value
                                for year, value in amounts.items()}}


class Budget(Model):
    """Cost budget per year and category and financing plan per year and source."""

    unit: Annotated[Literal[1, 1000], BeforeValidator(_unit)] = Field(
        1, description="1 = kroner, 1000 = amounts in 1000 kr.")
    costs: list[CostLine] = Field(default_factory=list)
    financing: list[FinancingLine] = Field(default_factory=list)
    own_effort_hours: Hours | None = Field(None, ge=0, description="Egeninnsats in hours (estimate).")
    own_effort_rate: Rate | None = Field(
        None, ge=0, description="Kroner per hour of own effort; default: documents.own_effort_hourly_rate in settings.")
    own_effort_note: Text = ""
    vat: Literal["uten mva", "inkl. mva"] | None = Field(
        None, description="Whether the amounts include VAT (merverdiavgift); said beside them where shown.")

    @model_validator(mode="before")
    @classmethod
    def _in_thousands(cls, data):
        """In a budget in 1000 kr, ``800.500`` is 800 500 or 800,5 thousand kroner (the same
        mapping may hold ``800.5``): its amounts are read in that unit, where that is refused."""
        if not isinstance(data, dict) or isinstance(data.get("unit"), bool) or data.get("unit") != 1000:
            return data
        data = dict(data)
        for key in ("costs", "financing"):
            if isinstance(data.get(key), list):
                data[key] = [_amounts_in_thousands(line) for line in data[key]]
        return data

    @model_validator(mode="after")
    def _within_ceiling(self):
        for kind, lines in (("costs", self.costs), ("financing", self.financing)):
            for index, line in enumerate(lines):
                for year, value in line.amounts.items():
                    if self.unit != 1 and abs(value * self.unit) > numbers.ceiling():
                        raise ValueError(f"{kind}[{index}] {year}: {numbers.show(value)} × {self.unit} kr is "
                                         f"implausibly large (over {numbers.show(numbers.ceiling())} kr)")
        return self

    def years(self) -> list[int]:
        found = {y for line in self.costs for y in line.amounts}
        found |= {y for line in self.financing for y in line.amounts}
        return sorted(found)

    def cost_kr(self, year: int, *, in_kind: bool | None = None) -> Decimal:
        """Costs of ``year`` in kroner: all lines, or (``in_kind`` True/False) only the own-effort
        lines or only the cash lines (a line without ``in_kind`` counts as cash)."""
        return sum((line.amounts.get(year, Decimal(0)) for line in self.costs
                    if in_kind is None or bool(line.in_kind) == in_kind), Decimal(0)) * self.unit

    def financing_kr(self, year: int, *, kinds: set[str] | None = None,
                     exclude: set[str] | None = None) -> Decimal:
        total = Decimal(0)
        for line in self.financing:
            if kinds is not None and line.kind not in kinds:
                continue
            if exclude is not None and line.kind in exclude:
                continue
            total += line.amounts.get(year, Decimal(0))
        return total * self.unit

    def categories(self) -> list[str]:
        return [line.category for line in self.costs]


class Grant(Model):
    """An award (tilsagn) from a funder: amount, year and case reference."""

    year: int = Field(ge=1900, le=2100, description="The year the grant is for.")
    amount: Amount = Field(ge=0, description="Granted amount in kroner.")
    reference: Line = Field("", description="Case reference (saksnummer), e.g. '2015/4711': the funder's own, "
                                             "said as 'Deres ref.' in the subject and first lines of its mail.")
    decided: Day | None = Field(None, description="Date of the award letter (tilsagnsbrev).")


DeadlineKind = Literal["application", "status", "final", "usage", "costsplit", "other"]


class Deadline(Model):
    """A deadline from a call or award letter; ``costsplit``: when the municipalities are invoiced
    for the year (the cost split for the deadline's year goes to the steering group before it);
    ``other``: only reminded of, no document is made."""

    kind: DeadlineKind
    date: Day
    description: Line = ""
    shift: Literal["before", "after"] | None = Field(
        None, description="Where a weekend/holiday deadline moves; default from settings.")


class Funder(Model):
    """A funder of the project (Statsforvalteren, Helsedirektoratet, the council's fund...)."""

    id: Slug
    name: Line = Field(min_length=1)
    email: EmailAddress | None = Field(
        None, description="Where the documents its deadlines ask for are sent (besides the kind's "
                          "recipients); without it they go to the kind's recipients only (e.g. a portal).")
    grants: list[Grant] = Field(default_factory=list)
    deadlines: list[Deadline] = Field(default_factory=list)


class SteeringGroupMeetings(Model):
    """Steering-group meetings; status reports go out ``lead_days`` before each."""

    dates: list[Day] = Field(default_factory=list)
    lead_days: int = Field(7, ge=0, le=60)


def _one_file(value):
    """A data kind is one file: a list of files is refused with how to make them one."""
    if isinstance(value, (list, tuple)):
        raise ValueError(f"one file per kind of data, not a list of {len(value)}: join them into one file (the "
                         "rows of the others pasted below the first file's rows, with one header row), or export "
                         "the data as one file from the accounting system or spreadsheet")
    return value


def _ledger_code(value):
    """A project's code in the accounts, which YAML reads as a number when written ``251``: the
    digits as written are the code ('0251' stays 0251). Anything else that is no text (``25.1``,
    ``0x1F``) is refused: written in quotes, it is read as written."""
    if isinstance(value, int) and not isinstance(value, bool):
        written = str(getattr(value, "source", value))
        if re.fullmatch(r"\d+", written):
            return written
    if isinstance(value, float) and not hasattr(value, "source") and value.is_integer() and value >= 0:
        return str(int(value))           # a workbook's number cell: 251.0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = getattr(value, "source", value)
        raise ValueError(f"{shown} is read as a number, not as the code it is in the accounts; write the code in "
                         f"quotes: '{shown}'")
    return value


class DataFiles(Model):
    """Paths, relative to the config folder, of the project's collected data (CSV or XLSX)."""

    milestones: Annotated[DataPath | None, BeforeValidator(_one_file)] = Field(
        None, description="Milestone progress: Milepæl, Status, Faktisk dato, Kommentar, Vedtaksdato.")
    ledger: Annotated[DataPath | None, BeforeValidator(_one_file)] = Field(
        None, description="Cost ledger: Dato, År, Kategori, Beskrivelse, Beløp, Finansieringskilde.")
    ledger_code: Annotated[Line | None, BeforeValidator(_ledger_code)] = Field(
        None, description="In a ledger shared by several projects (with a Prosjekt column): this project's "
                          "code there. Default: the project id.")
    hours: Annotated[DataPath | None, BeforeValidator(_one_file)] = Field(
        None, description="Own effort hours: Dato, Kommune, Timer.")
    notes: Annotated[DataPath | None, BeforeValidator(_one_file)] = Field(
        None, description="YAML with status notes and the final evaluation (see ProjectNotes).")


class Period(Model):
    start: Day
    end: Day

    @model_validator(mode="after")
    def _order(self):
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        return self

    def years(self) -> list[int]:
        return list(range(self.start.year, self.end.year + 1))


class Membership(Model):
    """When a participating municipality takes part, by year (both years included): a member that
    joins part way (``from: 2026``) or leaves (``until: 2025``) pays only for its own years."""

    first: int | None = Field(None, alias="from", ge=1900, le=2100, description="First year it takes part.")
    until: int | None = Field(None, ge=1900, le=2100, description="Last year it takes part.")

    def covers(self, year: int) -> bool:
        return (self.first is None or self.first <= year) and (self.until is None or year <= self.until)


class Project(Model):
    """A joint municipal project and everything the documents need about it."""

    @model_validator(mode="before")
    @classmethod
    def _membership(cls, data):
        """A participant written ``{name: Elv, from: 2026}`` (or with ``until:``) in ``municipalities:``
        is the name in the list and its years in ``membership`` (one list for all years charged a
        member that joined in 2026 for 2024 and 2025, found by a municipality's finance officer)."""
        if not isinstance(data, dict) or not isinstance(data.get("municipalities"), list):
            return data
        names, membership = [], dict(data.get("membership") or {})
        for item in data["municipalities"]:
            if isinstance(item, dict) and isinstance(item.get("name"), str) and set(item) <= {"name", "from", "until"}:
                names.append(item["name"])
                # (with no years too: an answer writes it back as {name: Berg}, not as Berg)
                membership[item["name"].strip()] = {k: v for k, v in item.items() if k != "name"}
            else:
                names.append(item)      # anything else is refused as a name, at its own line
        return {**data, "municipalities": names, "membership": membership}

    id: Slug = Field(description="Short identifier used on the command line and in file names.")
    name: Line = Field(min_length=1, max_length=200,
                      description="The project's name in documents and mail subjects (a 5 000-character name made a 5 033-character subject).")
    council: Slug = Field(description="Id of the council that owns the project.")
    owner: Line = Field(description="Prosjekteier.")
    owner_contact: Person | None = Field(None, description="Who speaks and signs for the project owner.")
    responsible: Line = Field(description="Prosjektansvarlig.")
    responsible_contact: Person | None = Field(None, description="Contact at the responsible organisation.")
    leader: Person = Field(description="Prosjektleder.")
    contact: Person | None = Field(None, description="Kontaktperson for the application; default the leader.")
    steering_group: list[Person] = Field(
        default_factory=list, description="Styringsgruppe; its leader is the member with the role "
        "'leder' or 'styringsgruppeleder' (nynorsk 'leiar', 'styringsgruppeleiar').")
    municipalities: list[Line] = Field(description="Participating municipalities (subset of the council).")

    @field_validator("municipalities", mode="before")
    @classmethod
    def _entry_form(cls, value):
        """An entry that is neither a name nor {name:, from:, until:} (``_membership`` took those)."""
        for index, item in enumerate(value if isinstance(value, list) else ()):
            if isinstance(item, dict):
                other = sorted(set(map(str, item)) - {"name", "from", "until"})
                raise EntryError(("unknown key " + ", ".join(other) + ": " if other else "no name: ")
                                 + "a participant is a name, or {name: Elv, from: 2026} / {name: Dal, until: 2025} "
                                 "(the first and last year it takes part)", (index,))
        return value

    @field_validator("municipalities")
    @classmethod
    def _each_participant_once(cls, value: list):
        _once(value, "municipality")
        return value
    membership: dict[Line, Membership] = Field(
        default_factory=dict, exclude=True, description="Participants' years, from entries {name: Elv, from: 2026} / {name: Dal, until: 2025}.")
    partners: list[Line] = Field(default_factory=list, description="Other partners, e.g. the hospital trust.")
    split: SplitKey = Field(default_factory=SplitKey)
    period: Period
    summary: Text = ""
    background: Text = ""
    challenge: Text = ""
    anchoring: Text = Field("", description="Forankring: which decision approved the project.")
    organisation: Text = ""
    goals: Goals = Field(default_factory=Goals)
    activities: list[Activity] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    success_factors: list[Text] = Field(default_factory=list)
    budget: Budget = Field(default_factory=Budget)
    funders: list[Funder] = Field(default_factory=list)
    meetings: SteeringGroupMeetings = Field(default_factory=SteeringGroupMeetings)
    transfer_value: Text = Field("", description="Overføringsverdi to other municipalities.")
    data: DataFiles = Field(default_factory=DataFiles)
    recipients: Annotated[dict[str, RecipientRule], BeforeValidator(known_kinds)] = Field(
        default_factory=dict, description="Per document kind: who receives it (overrides council and defaults).")
    example_data: bool = Field(False, description="True when parts of the data are invented examples.")
    source: Text = Field("", description="Where the project description comes from.")

    def participates(self, name: str, year: int) -> bool:
        """Whether the participating municipality ``name`` takes part (and pays) in ``year``."""
        member = self.membership.get(name)
        return member is None or member.covers(year)

    def funder(self, funder_id: str) -> Funder | None:
        return next((f for f in self.funders if f.id == funder_id), None)

    def steering_group_leader(self) -> Person | None:
        """The first steering-group member whose role is one of ``LEADER_ROLES``, if any."""
        return next((p for p in self.steering_group if p.role.casefold() in LEADER_ROLES), None)


RAG_LABELS = {"green": "grønn", "amber": "gul", "red": "rød"}    # as the workbook and the documents say them
_RAG_WORDS = {label: value for value, label in RAG_LABELS.items()}


def _rag(value):
    """The status colour as written in notater.yaml: green/amber/red, or as the workbook and the
    documents say it, grønn/gul/rød (any case)."""
    word = value.strip().casefold() if isinstance(value, str) else value
    word = _RAG_WORDS.get(word, word)
    if word not in ("green", "amber", "red"):
        raise ValueError(f"{str(value)[:40]!r} is not a status colour: write grønn, gul or rød (or green, amber, red)")
    return word


RagValue = Annotated[Literal["green", "amber", "red"], BeforeValidator(_rag)]


class Assessment(Model):
    """A manual red/amber/green value with a comment (for quality and benefits)."""

    rag: RagValue
    comment: Text = ""


def _one_text(value):
    """A paragraph field (results, summary) written as a YAML list of points: refused with what to
    write (pydantic said only 'Input should be a valid string'); the points are not joined, as
    sentences without a full stop would run together in the report."""
    if isinstance(value, (list, tuple)):
        raise ValueError("is one text, not a list: write the points as one paragraph (join them into "
                         "sentences; for several lines write '|' after the colon and indent the text below), "
                         "without '- ' in front")
    return value


OneText = Annotated[Text, BeforeValidator(_one_text)]


class StatusNote(Model):
    """What the project leader adds to a status report (the rest is computed)."""

    as_of: Day = Field(description="The status date this note belongs to (used for reports on or after it).")
    summary: OneText = Field("", description="Overall status in a few sentences.")
    quality: Assessment | None = None
    benefits: Assessment | None = Field(None, description="Gevinster.")
    results: OneText = Field("", description="Results so far (also used in the yearly usage report).")
    explanation: OneText = Field("", description="Why the project is behind or off budget (read by the county governor).")
    deviations: list[Text] = Field(default_factory=list, description="Avvik.")
    decisions: list[Text] = Field(
        default_factory=list,
        description="Beslutninger styringsgruppen må ta, each 'Sak. Forslag til vedtak: …' (the proposed decision).")
    next_period: list[Text] = Field(default_factory=list, description="Plan for neste periode.")
    reported_by: Line = Field("", description="Who reported this note (a name: one line, from a workbook or the form).")
    reported_at: datetime | None = Field(None, description="When it was reported (imported).")
    not_reported: bool = Field(
        False, description="The project leader did not answer by the send date: the report says 'ikke rapportert'.")


class GoalAchievement(Model):
    goal: Text
    achievement: Text


def explanation_key(key: str) -> str:
    """An explanation's key as matched with a deviation's: case, composition, spacing and a
    number's leading zeros set aside ('Milepæl 5' is 'milepæl 05')."""
    return re.sub(r"\b0+(?=\d)", "", " ".join(name_key(key).split()))


# What the final report's deviations are explained under, in the notes' evaluation.explanations:
# one name each, used by the report that looks an explanation up and by validation that refuses
# a key naming no deviation.
ECONOMY_EXPLANATION = "økonomi"
STATUS_EXPLANATION = "status"
BEFORE_START_EXPLANATION = "regnskap før prosjektstart"
AFTER_REPORT_DATE_EXPLANATION = "regnskap etter rapportdato"
OWN_EFFORT_EXPLANATION = "egeninnsats"
FIXED_EXPLANATIONS = (ECONOMY_EXPLANATION, STATUS_EXPLANATION, BEFORE_START_EXPLANATION,
                      AFTER_REPORT_DATE_EXPLANATION, OWN_EFFORT_EXPLANATION)


def milestone_explanation(number: int) -> str:
    return f"milepæl {number:02d}"


def category_explanation(category: str) -> str:
    return f"kategori {category}"


def overspent_explanation(funder_id: str) -> str:
    """A funder's grant spent beyond its award letters ('merforbruk sf-rogaland')."""
    return f"merforbruk {funder_id}"


class Evaluation(Model):
    """The final report's narrative parts (sluttrapport)."""

    summary: Text = ""
    goal_achievement: list[GoalAchievement] = Field(default_factory=list, description="Målrealisering.")
    results: list[Text] = Field(default_factory=list)
    lessons: list[Text] = Field(default_factory=list, description="Erfaringer.")
    success_factors: list[Text] = Field(default_factory=list, description="Kritiske suksessfaktorer.")
    problems: list[Text] = Field(default_factory=list)
    conclusion: Text = ""
    differently: list[Text] = Field(default_factory=list, description="Hva kunne vært gjort annerledes.")
    further_work: Text = Field("", description="Videreføring.")
    explanations: dict[Text, Text] = Field(
        default_factory=dict,
        description="Why each deviation happened, keyed 'milepæl 05', 'kategori <name>', 'merforbruk <funder id>', "
                    "'økonomi' or 'status'.")
    unused: Literal["tilbakebetales", "søkes overført"] | None = Field(
        None, description="What happens to unused grant money; default: repaid.")

    @field_validator("explanations")
    @classmethod
    def _one_explanation_each(cls, value: dict[str, str]) -> dict[str, str]:
        # keys are matched whatever their case and spacing: two that match the same deviation
        # ('milepæl 04' and 'Milepæl  04') would leave which one the county governor reads to chance
        seen: dict[str, str] = {}
        for key in value:
            norm = explanation_key(key)
            if norm in seen:
                raise ValueError(f"explanations {seen[norm]!r} and {key!r} are for the same deviation: keep one")
            seen[norm] = key
        return value

    def explanation(self, key: str) -> str:
        """The explanation written for a deviation ``key`` ('milepæl 05' matches 'Milepæl 5'), or ''."""
        wanted = explanation_key(key)
        for name, text in self.explanations.items():
            if explanation_key(name) == wanted and text.strip():
                return text.strip()
        return ""


class ProjectNotes(Model):
    """The project's notes file: status notes by date and the final evaluation."""

    status: list[StatusNote] = Field(default_factory=list)
    evaluation: Evaluation | None = None

    @field_validator("status")
    @classmethod
    def _one_note_a_day(cls, value: list):
        days = [note.as_of for note in value]
        twice = sorted({d for d in days if days.count(d) > 1})
        if twice:
            raise ValueError(f"two status notes are dated {twice[0].isoformat()}: a report could use either; "
                             "keep one note per date")
        return value

    def note_for(self, as_of: date) -> StatusNote | None:
        eligible = [n for n in self.status if n.as_of <= as_of]
        return max(eligible, key=lambda n: n.as_of) if eligible else None
