"""Cost split between the participating municipalities (kostnadsfordeling).

Rule (seed 000, 1.6): ``equal_percent`` of the total in equal shares among the participants,
the rest by weight (population on 1 January, or another key such as pupil numbers). Amounts are
whole kroner: each participant's exact share (equal part plus weighted part) is rounded by
largest remainder, so the shares sum exactly to the total and none is more than a krone from
its exact share. Ties go to the larger weight, then to the order of the council's member list,
so the result is deterministic and a larger weight never pays less. The equal part (its total
rounded half up) is the same for all, give or take the leftover kroner; the weighted part is
the rest of each share. Non-participants pay 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from . import fmt, owneffort
from .errors import UserError
from .models import Council, Project, is_percentage_key


@dataclass(frozen=True)
class Share:
    """One municipality's part of the split."""

    municipality: str
    participates: bool
    weight: Decimal | None
    equal: int
    weighted: int

    @property
    def total(self) -> int:
        return self.equal + self.weighted


@dataclass(frozen=True)
class CostSplit:
    """The split of ``total`` kroner for one project and year."""

    project: str
    year: int
    total: int
    equal_percent: Decimal
    weight_key: str
    weight_year: int
    shares: tuple[Share, ...]

    @property
    def participants(self) -> list[Share]:
        return [s for s in self.shares if s.participates]

    @property
    def equal_total(self) -> int:
        return sum(s.equal for s in self.shares)

    @property
    def weighted_total(self) -> int:
        return sum(s.weighted for s in self.shares)

    @property
    def weight_total(self) -> Decimal:
        return sum((s.weight or Decimal(0) for s in self.participants), Decimal(0))

    @property
    def agreed(self) -> bool:
        """An agreed percentage key (``is_percentage_key``), the whole key: no equal share to show."""
        return is_percentage_key(self.weight_key) and self.equal_percent == 0

    def as_dict(self) -> dict:
        return {
            "project": self.project,
            "year": self.year,
            "total": self.total,
            "shares": [
                {"municipality": s.municipality, "equal": s.equal, "weighted": s.weighted, "total": s.total}
                for s in self.shares
            ],
        }


def largest_remainder(total: int, weights: list[Fraction | Decimal | int]) -> list[int]:
    """Whole parts of ``total`` proportional to ``weights`` that sum exactly to ``total``.

    Leftover kroner go to the largest fractional parts; ties to the larger weight, then the
    earlier position.
    """
    fracs = [Fraction(w) for w in weights]
    weight_sum = sum(fracs)
    if total == 0:
        return [0] * len(fracs)
    if weight_sum <= 0:
        raise ValueError("weights sum to zero")
    quotas = [total * w / weight_sum for w in fracs]
    parts = [q.numerator // q.denominator for q in quotas]
    left = total - sum(parts)
    order = sorted(range(len(fracs)), key=lambda i: (-(quotas[i] - parts[i]), -fracs[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def _weight(council: Council, name: str, key: str, year: int) -> Decimal | None:
    member = council.municipality(name)
    if member is None:
        return None
    if key in ("innbyggere", "population"):
        value = member.population.get(year)
    else:
        value = member.weights.get(key, {}).get(year)
    return None if value is None else Decimal(str(value))


def split(total: int, participants: list[tuple[str, Decimal]], equal_percent: Decimal,
          members: list[str] | None = None) -> list[Share]:
    """Split ``total`` among ``participants`` (name, weight); ``members`` adds non-participants."""
    if total < 0:
        raise UserError(f"the amount to split is negative ({total})", field="amount")
    if not participants:
        raise UserError("no participating municipalities to split between", field="municipalities")
    equal_total = int((Decimal(total) * equal_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    weights = [w for _, w in participants]
    rest = total - equal_total
    if rest and sum(weights) <= 0:
        raise UserError("the participants' weights sum to zero", field="split.weight")
    # What each one pays: its exact share (its equal part plus its weight's part of the rest),
    # rounded once by largest remainder. Rounding the equal and the weighted part each on its own
    # billed Haugesund 923 621 kr of 3 741 005 kr for a share of 923 619,83 kr.
    count, quotas = len(participants), _quotas(weights, equal_percent)
    exact = [total * q for q in quotas]
    totals = [math.floor(x) for x in exact]
    for i in sorted(range(count), key=lambda i: (-(exact[i] - totals[i]), -weights[i], i))[:total - sum(totals)]:
        totals[i] += 1      # a tie to the larger weight (all quotas are alike at 100 % equal)
    # Equal parts: the same quota for all; leftover kroner go to the larger weights first (to one
    # whose share has room for it), and the weighted part is the rest of each share.
    base = equal_total // count
    equal = [min(base, t) for t in totals]
    missing = equal_total - sum(equal)
    order = sorted(range(count), key=lambda i: (-weights[i], i))
    while missing:
        for i in order:
            if missing and totals[i] > equal[i] and equal[i] <= base:
                equal[i] += 1
                missing -= 1
        if missing and all(totals[i] == equal[i] or equal[i] > base for i in order):
            base += 1       # only when the shares leave no other way (a weight of 0 among few)
    weighted = [t - e for t, e in zip(totals, equal)]
    shares = {name: Share(name, True, weight, e, w)
              for (name, weight), e, w in zip(participants, equal, weighted)}
    ordered = []
    for name in members or [n for n, _ in participants]:
        ordered.append(shares.pop(name, None) or Share(name, False, None, 0, 0))
    ordered.extend(shares.values())
    return ordered


@dataclass(frozen=True)
class MunicipalPart:
    """The municipalities' part of a project's financing plan, per year in whole kroner.

    ``source``: 'line' (the plan's own municipal line, as written), 'rest' (a municipal line
    without amounts: costs minus external financing over the whole period, spread over the
    years by cost) or 'none' (no municipal line: the municipalities are not billed).
    ``costs`` and ``external`` are cash: own effort (egeninnsats) is in neither.
    ``gap`` is all financing (municipal part included) minus costs over the whole period:
    0 when the plan balances, negative when costs are not covered, positive when overfinanced.
    """

    by_year: dict[int, int]
    source: str
    costs: int
    external: int
    gap: int
    in_kind: int = 0         # own effort valued in kroner on both sides of the plan: never invoiced
    written: dict[int, Decimal] | None = None   # 'line': the plan's amounts as written, øre and all
    # 'rest': the years already invoiced (their amounts as sent), kept as they went out; the rest of
    # the municipalities' part is spread over the other years
    invoiced: dict[int, int] = field(default_factory=dict)
    rest: int = 0            # 'rest': costs minus external financing over the period

    @property
    def total(self) -> int:
        return sum(self.by_year.values())

    @property
    def balanced(self) -> bool:
        return self.gap == 0


def _whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _whole_by_year(amounts: dict[int, Decimal]) -> dict[int, int]:
    """Amounts per year in whole kroner, the øre carried from year to year: each year is its
    running sum rounded (half up) less the years before, so the period adds up to its sum rounded
    once and no year is a krone or more from its own amount. Each year rounded on its own billed
    115 500,50 + 285 250,50 + 175 000 = 575 751 as 575 752 (found by a county governor's accountant)."""
    out, running, billed = {}, Decimal(0), 0
    for year in sorted(amounts):
        running += amounts[year]
        out[year] = _whole(running) - billed
        billed += out[year]
    return out


def whole_plan(budget) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """The plan's cash costs, its external financing and its municipal line per year in whole
    kroner, each carried from year to year as the cost split bills the municipal line (see
    ``_whole_by_year``): the figures validate and the application compare year by year."""
    years = budget.years()
    costs = _whole_by_year({y: budget.cost_kr(y, in_kind=False) for y in years})
    external = _whole_by_year({y: budget.financing_kr(y, exclude={"kommunene", "egeninnsats"}) for y in years})
    municipal = _whole_by_year({y: budget.financing_kr(y, kinds={"kommunene"}) for y in years})
    return costs, external, municipal


def municipal_part(project: Project, invoiced: dict[int, int] | None = None) -> MunicipalPart:
    """What the financing plan leaves for the municipalities (see :class:`MunicipalPart`).

    Never negative in a year: an overfinanced plan leaves 0, and the gap says by how much.
    Own effort (``grantflow.owneffort``) is on neither side: the costs are the cash costs, and a
    plan whose own effort cannot be told from its cash costs is refused.
    ``invoiced``: year -> the amount a cost split sent for it billed (``Invoiced``). A plan whose
    municipal line has no amounts keeps those years as invoiced and spreads only what is left over
    the other years: a budget change re-spread the years already invoiced, and the invoices sent
    (800 000 + 1 000 000 + 1 166 667 kr) fell 33 333 kr short of the 3 000 000 kr the documents
    said (found by a member municipality's finance officer).
    """
    owneffort.require(project)
    budget = project.budget
    years = budget.years()
    costs, external, _ = whole_plan(budget)
    cost_total, external_total = sum(costs.values()), sum(external.values())
    in_kind = _whole(owneffort.in_kind_total(project))
    lines = [line for line in budget.financing if line.kind == "kommunene"]
    if any(line.amounts for line in lines):
        written = {y: budget.financing_kr(y, kinds={"kommunene"}) for y in years}
        by_year = _whole_by_year(written)
        return MunicipalPart(by_year, "line", cost_total, external_total,
                             external_total + sum(by_year.values()) - cost_total, in_kind, written)
    if lines and invoiced and any(y in invoiced for y in years):
        rest = max(cost_total - external_total, 0)
        fixed = {y: invoiced[y] for y in years if y in invoiced}
        open_years = [y for y in years if y not in fixed]
        left = rest - sum(fixed.values())
        weights = [max(costs[y], 0) for y in open_years]
        parts = largest_remainder(left, weights) if left > 0 and sum(weights) > 0 else [0] * len(open_years)
        by_year = {y: fixed[y] if y in fixed else parts[open_years.index(y)] for y in years}
        return MunicipalPart(by_year, "rest", cost_total, external_total,
                             external_total + sum(by_year.values()) - cost_total, in_kind, invoiced=fixed, rest=rest)
    if lines:
        rest = cost_total - external_total
        if rest <= 0 or cost_total <= 0:
            return MunicipalPart({y: 0 for y in years}, "rest", cost_total, external_total, -rest if rest < 0 else 0,
                                 in_kind)
        parts = largest_remainder(rest, [costs[y] for y in years])
        return MunicipalPart(dict(zip(years, parts)), "rest", cost_total, external_total, 0, in_kind, rest=rest)
    return MunicipalPart({y: 0 for y in years}, "none", cost_total, external_total, external_total - cost_total,
                         in_kind)


@dataclass(frozen=True)
class Invoiced:
    """A year's cost split as it reached its readers (its record in the outputs): what the
    municipalities were invoiced for ``year``, the basis of the final settlement."""

    year: int
    total: int
    shares: dict[str, int] | None     # municipality -> its share (None: a record from before they were kept)
    document: str                     # the cost split's period label: "2024", "2024-2026"
    version: int
    sent: date                        # the day it first reached recipients
    dated: date | None                # the document's own date
    # whether it told its readers these are the year's shares (an invoice, a correction, or "uendret");
    # False only for a record from before this was kept whose version showed other shares for a
    # year already invoiced without a word of correction: its readers were invoiced nothing by it
    said: bool = True


def invoiced_by(history: list[Invoiced]) -> Invoiced | None:
    """The cost split whose shares the municipalities were invoiced for a year, from the splits for
    it that reached them, in delivery order (``invoiced_on_record``): the first one invoiced them,
    each later one that said other shares corrected them to its own; one that says the same shares
    (or, from an older record, said nothing of a correction) changes nothing. A correction back to
    an amount invoiced earlier was taken as nothing to correct, and the final report then settled
    1 535 000 kr where 1 412 000 kr was invoiced (found by a member municipality's finance officer)."""
    basis: Invoiced | None = None
    for sent in history:
        if basis is None or (sent.said and (sent.total, sent.shares) != (basis.total, basis.shares)):
            basis = sent
    return basis


def municipal_amount(project: Project, year: int) -> int:
    """The municipalities' part for ``year`` in whole kroner (0 for a year outside the plan)."""
    return municipal_part(project).by_year.get(year, 0)


def no_inhabitants(name: str, year: int) -> str:
    """Why a population of 0 is refused (by validate, allocate and the documents alike)."""
    return (f"population 0 for {name} on 1 January {year}: a municipality has inhabitants; write the figure "
            "from SSB (the cost split would charge it no part by population)")


POPULATION_KEYS = ("innbyggere", "population")


# A key's figures are dated only where they have a date: population is counted on 1 January of
# its year; another key (an agreed percentage, pupil numbers) is a figure per year. A split by
# 'prosentandel' was headed "Prosentandel 1.1.2021" (found by the lead, session 21).

def dated_from(project: Project, year: int) -> date | None:
    """The first day a cost split for ``year`` (an invoice basis) can be dated: 1 January of the
    year whose population it bills by (``weight_year``, else ``year`` itself). None for a key with no
    day (an agreed percentage, pupil numbers: a figure for a year, which can be agreed beforehand)."""
    if project.split.weight not in POPULATION_KEYS:
        return None
    return date(project.split.weight_year or year, 1, 1)


def key_on(key: str, year: int) -> str:
    """When a key's figures count, in the secretariat's lines: 'on 1 January 2014', 'for 2021'."""
    return f"on 1 January {year}" if key in POPULATION_KEYS else f"for {year}"


def key_heading(key: str, year: int, capital: bool = True) -> str:
    """A key's column heading in documents and tables: 'Innbyggere 1.1.2014', 'Prosentandel 2021',
    'GSI-tall 2021' (the key as written; ``capital``: its first letter up)."""
    text = f"innbyggere 1.1.{year}" if key in POPULATION_KEYS else f"{key} {year}"
    return text[:1].upper() + text[1:] if capital else text


def key_basis(key: str, year: int | None) -> str:
    """What a share is split by, in a sentence ("… etter {this}."): 'innbyggertall per 1.1.2014',
    'innbyggertall per 1. januar i året', 'prosentandel for 2021', 'prosentandel for året'
    (no ``year``: each year's own figures)."""
    if key in POPULATION_KEYS:
        return f"innbyggertall per 1.1.{year}" if year else "innbyggertall per 1. januar i året"
    return f"{key} for {year}" if year else f"{key} for året"


def no_weight(key: str, year: int, names: list[str]) -> str:
    """Why a split key that is 0 for every participant is refused (validate, allocate, documents)."""
    return (f"{key} 0 for every participant {key_on(key, year)} ({', '.join(names)}): nothing can be split "
            f"by {key}; write the figures, or split by another key")


def zero_weight(name: str, key: str, year: int, equal_percent: Decimal) -> str:
    """What validate warns of when one participant's figure for a key other than population is 0.
    It may be right (a key counting something that member lacks), so it is split as written."""
    pays = f"pays only its equal part ({fmt.percent_as_given(equal_percent / 100)} of the total shared equally)" \
        if equal_percent else "pays nothing"
    return (f"{key} 0 for {name} {key_on(key, year)}: {name} takes part but {pays} of the split by {key}; "
            "check the figure")


def latest_known(council: Council, project: Project, year: int) -> int | None:
    """For a key by 1 January of each year (no ``weight_year``) whose figures for ``year`` no
    participant has yet: the latest earlier year every participant has a figure for, else None.
    A plan (the application) may split such a year by it, saying so; an invoice never does."""
    if project.split.weight_year is not None:
        return None
    members = [council.municipality(name) for name in project.municipalities]
    if not members or any(m is None for m in members):
        return None
    key = project.split.weight

    def known(y: int) -> bool:
        return [_weight(council, m.name, key, y) for m in members].count(None) == 0

    if any(_weight(council, m.name, key, year) is not None for m in members):
        return None             # some have it: a figure missing is a gap to fill, not a year to come
    years = {y for m in members for y in (m.population if key in POPULATION_KEYS else m.weights.get(key, {}))}
    earlier = [y for y in sorted(years, reverse=True) if y < year and known(y)]
    return earlier[0] if earlier else None


def not_paying(project: Project, name: str, year: int) -> str:
    """What a non-payer's row says in ``year``: 'Deltar fra 2026' (joins later), 'Ute fra 2026'
    (left after 2025), else 'Deltar ikke' (short: the row's Sum cell)."""
    member = project.membership.get(name) if name in project.municipalities else None
    if member is not None and member.first is not None and year < member.first:
        return f"Deltar fra {member.first}"
    if member is not None and member.until is not None and year > member.until:
        return f"Ute fra {member.until + 1}"
    return "Deltar ikke"


def allocate(council: Council, project: Project, year: int, amount: int | None = None,
             where=None, project_where=None, weight_year: int | None = None) -> CostSplit:
    """The cost split for ``project`` in ``year`` (of ``amount``, or the municipal part of the plan).
    ``where(loc)`` / ``project_where(loc)`` give the council / project file's name and the line of
    ``loc``, to name them in an error. ``weight_year``: the plan's stand-in year (``latest_known``)
    for a key by 1 January of each year, where the year's own figures do not exist yet."""
    from .reporting import check_years

    check_years(project, year, year, "--year", "the year split")
    total = municipal_amount(project, year) if amount is None else amount
    if total < 0:
        raise UserError(f"the financing plan leaves a negative amount ({fmt.money(total, decimals=None)}) for the "
                        f"municipalities in {year}", field="budget.financing")
    key = project.split.weight
    weight_year = weight_year or project.split.weight_year or year
    participants = []
    for name in project.municipalities:
        if not project.participates(name, year):
            continue            # joins later or has left: not a payer this year ("Deltar fra 2026")
        member = council.municipality(name)
        if member is None:
            # validate's line, with the project file's line: render and allocate said only
            # "error: municipalities: municipality 'Karmoy' is not a member of …" (found by a reviewer)
            from .data import unknown_municipality

            index = project.municipalities.index(name)
            file, line = project_where(("municipalities", index)) if project_where is not None else (None, None)
            raise UserError(f"{unknown_municipality(name, council)}; looked up in the council's list "
                            f"(municipalities: of {council.id})", file=file, line=line,
                            field=f"municipalities[{index}]")
        weight = _weight(council, name, key, weight_year)
        if weight is None:
            # named where validate names it: the project's weight_year, or its municipality
            index = project.municipalities.index(name)
            loc = ("split", "weight_year") if project.split.weight_year else ("municipalities", index)
            file, line = project_where(loc) if project_where is not None else (None, None)
            # what to add, and where: the line named the project file only (found by a tester)
            in_council = where(("municipalities", council.municipalities.index(member)))[0] \
                if where is not None else council.id
            table = "population" if key in POPULATION_KEYS else f"weights: {key}"
            raise UserError(f"no {key} figure for {name} {key_on(key, weight_year)} in {council.id}: the split "
                            f"for {year} is by the figures {key_on(key, weight_year)}; add them to {in_council} "
                            f"({name}, {table}: {weight_year})"
                            + (", or correct weight_year" if project.split.weight_year else ""), file=file, line=line,
                            field="split.weight_year" if project.split.weight_year else f"municipalities[{index}]")
        if weight == 0 and key in POPULATION_KEYS:
            # 0 inhabitants is a figure left out or a typo (validate says so too): the split would
            # charge that municipality its equal part only, or nothing
            loc = ("municipalities", council.municipalities.index(member), "population", weight_year)
            file, line = where(loc) if where is not None else (None, None)
            raise UserError(no_inhabitants(member.name, weight_year), file=file, line=line,
                            field=f"municipalities[{loc[1]}].population.{weight_year}")
        participants.append((member.name, weight))
    if participants and all(w == 0 for _, w in participants) and project.split.equal_percent < 100:
        # (population 0 is refused above, member by member)
        first = council.municipality(participants[0][0])
        loc = ("municipalities", council.municipalities.index(first), "weights", key, weight_year)
        file, line = where(loc) if where is not None else (None, None)
        raise UserError(no_weight(key, weight_year, [n for n, _ in participants]), file=file, line=line,
                        field=f"municipalities[{loc[1]}].weights.{key}.{weight_year}")
    shares = split(total, participants, project.split.equal_percent,
                   members=[m.name for m in council.municipalities])
    return CostSplit(project.id, year, total, project.split.equal_percent, key, weight_year, tuple(shares))


@dataclass(frozen=True)
class Settlement:
    """Avregning med kommunene at the project's end: the municipalities' unused part (``amount``
    positive: paid back to them) or their overspend (negative: invoiced to them), per participating
    municipality in the council's member order.

    ``rows``: (municipality, its share of the key as a fraction, its part in kroner with the sign of
    ``amount``); the parts add up exactly to ``amount``. ``key``: 'split', the cost split's own key,
    when it is the same in every year billed (a cost split of the amount gives these parts, krone
    for krone), else 'billed', in proportion to what each was billed over the period (a key by
    population on 1 January of each year changes between years). ``years``: the years billed."""

    amount: Decimal
    rows: tuple[tuple[str, Fraction, Decimal], ...]
    key: str
    years: tuple[int, ...]
    ore: bool


def settle(council: Council, project: Project, amount: Decimal, where=None, project_where=None) -> Settlement:
    """Split ``amount`` (kroner, øre allowed, either sign) between the participants as the cost
    split splits: each one's exact share rounded once by largest remainder, ties to the larger
    weight, then the list order. An amount with øre is split in øre by the same rule, so the parts
    add up to it as stated."""
    ore = amount != amount.to_integral_value()
    scale = 100 if ore else 1
    units = abs(amount) * scale
    if units != units.to_integral_value():
        raise ValueError(f"an amount to settle with fractions of an øre: {amount}")
    units, sign = int(units), (-1 if amount < 0 else 1)
    part = municipal_part(project)
    billed = {y: a for y, a in sorted(part.by_year.items()) if a > 0}
    years = list(billed) or [project.period.end.year]
    splits = [allocate(council, project, y, units, where, project_where) for y in years]
    weights = {tuple((s.municipality, s.weight) for s in r.participants) for r in splits}
    if len(weights) == 1:
        key, chosen = "split", splits[0]
        names = [s.municipality for s in chosen.participants]
        fractions = dict(zip(names, _quotas([s.weight for s in chosen.participants], chosen.equal_percent)))
        parts = {s.municipality: s.total for s in chosen.participants}
    else:
        # the key changed between the years billed: in proportion to what each was billed
        key = "billed"
        paid: dict[str, int] = {}
        for y in years:
            for s in allocate(council, project, y, billed[y], where, project_where).participants:
                paid[s.municipality] = paid.get(s.municipality, 0) + s.total
        # every municipality billed in some year (one that left before the last year too)
        names = [s.municipality for s in splits[-1].shares if s.municipality in paid]
        fractions = {n: Fraction(paid[n], sum(paid.values())) for n in names}
        parts = dict(zip(names, largest_remainder(units, [paid[n] for n in names])))
    rows = tuple((n, fractions[n], Decimal(sign * parts[n]) / scale) for n in names)
    return Settlement(amount, rows, key, tuple(years), ore)


def _quotas(weights: list[Decimal], equal_percent: Decimal) -> list[Fraction]:
    """Each participant's exact share of the key: its equal part plus its weight's part of the rest."""
    count, percent, weight_sum = len(weights), Fraction(equal_percent) / 100, sum(Fraction(w) for w in weights)
    return ([percent / count + (1 - percent) * Fraction(w) / weight_sum for w in weights] if weight_sum > 0
            else [Fraction(1, count)] * count)
