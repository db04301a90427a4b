"""Recipients per document kind, from config: project rule, else council rule, else settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .. import clock
from .. import fmt
from ..errors import UserError
from ..numbers import echo
from ..models import LEADER_ROLES, RECIPIENT_WORDS as WORDS, Council, Funder, Person, Project, RecipientRule
from ..register import Register
from ..settings import Settings

@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    role: str   # "to" or "cc"
    office: bool = False   # an office (the county governor, the secretariat, a funder), not a person:
                           # greeted "Til Statsforvalteren i Rogaland", not "Hei Statsforvalteren …,"
    payer: bool = False    # a member municipality's contact, for its share of a cost split
    # who the person is, as config gives it: role and organisation ("leder av styringsgruppen,
    # Elvik kommune"); "" for an address, a funder or a municipality (its name says it)
    title: str = ""

    @property
    def described(self) -> str:
        """The name with who it is, as a copy is listed: "Per Rådmann (leder av styringsgruppen,
        Elvik kommune)" (the county governor read "Kopi til: Per Rådmann." and could not tell who
        that was: an outside tester)."""
        return f"{self.name} ({self.title})" if self.title else self.name


# The recipient words that name an office rather than a person.
OFFICES = ("county_governor", "secretariat")


def _people(word: str, project: Project | None, council: Council, when: date | None = None) -> list[Person]:
    if "@" in word:
        # an address written as the recipient: named by itself (the address is checked as one; a
        # person's name may not hold '@', so it is set after the check, not typed by anyone)
        return [Person(name="-", email=word).model_copy(update={"name": word})]
    if word == "county_governor":
        office = council.county_governor
        if office.name.casefold().startswith(("fylkesmannen", "statsforvalteren", "statsforvaltaren")):
            # the office by the name its document gives it (that day's; today's for a document that
            # names none): the final report of 2017 said Fylkesmannen, its mail Statsforvalteren
            office = office.model_copy(update={"name": council.governor_office(when or clock.today())})
        return [office]
    if word == "secretariat":
        return [council.secretariat]
    if project is None:
        return []
    if word == "steering_group":
        return list(project.steering_group)
    if word == "steering_group_leader":
        # without a leader's role, the first member (validate warns of it)
        leader = project.steering_group_leader()
        return [leader] if leader else project.steering_group[:1]
    if word == "leader":
        return [project.leader]
    if word == "contact":
        return [project.contact or project.leader]
    raise UserError(f"unknown recipient {word!r} (use an e-mail address or one of: {', '.join(WORDS)})",
                    field="recipients")


STEERING_WORDS = ("steering_group", "steering_group_leader")


def title(person: Person, word: str) -> str:
    """Who ``person`` is, from its role and organisation as config writes them; a steering-group
    member's role is said as one in the steering group ("leder" alone said leader of what?):
    "leder av styringsgruppen" for a leader's role (as the documents' Til line says the chair), "medlem av
    styringsgruppen", else "<role> i styringsgruppen" unless the role says it. The organisation is
    left out where the name already holds it."""
    role = person.role.strip()
    if word in STEERING_WORDS and role.casefold() in LEADER_ROLES:
        role = "leder av styringsgruppen"       # "leiar", "styringsgruppeleder": the leader, as documents say it
    elif word in STEERING_WORDS and "styringsgrupp" not in role.casefold():
        if role.casefold() in ("", "medlem"):
            role = "medlem av styringsgruppen"
        else:
            role = f"{role} i styringsgruppen"
    parts = [role] if role else []
    organisation = person.organisation.strip()
    if organisation and organisation.casefold() not in person.name.casefold() \
            and organisation.casefold() not in role.casefold():
        parts.append(organisation)
    return ", ".join(parts)


def municipality_office(name: str) -> str:
    """A member municipality as an addressee: "Bokn kommune" (a name written "… kommune" as it is)."""
    return name if name.casefold().endswith("kommune") else f"{name} kommune"


def payer_contacts(council: Council, payers: list[str] | tuple[str, ...]) -> tuple[list[Person], list[str]]:
    """The contact addresses of the municipalities in ``payers`` (those with a share in a cost split),
    one per address (two members sharing a finance office are one recipient, named both), and the
    names of those without a contact (``Municipality.contact``), in ``payers``' order."""
    by_address: dict[str, tuple[str, list[str]]] = {}
    missing: list[str] = []
    for name in payers:
        member = council.municipality(name)
        if member is None or not member.contact:
            missing.append(member.name if member else name)
            continue
        by_address.setdefault(member.contact.casefold(), (member.contact, []))[1].append(member.name)
    people = [Person(name=fmt.listing([municipality_office(n) for n in names]), email=email)
              for email, names in by_address.values()]
    return people, missing


def payers_at(council: Council, payers: list[str] | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The municipalities of ``payers`` by their (casefolded) contact address: whose part a mail to
    that address names (two sharing a finance office: both)."""
    out: dict[str, tuple[str, ...]] = {}
    for name in payers:
        member = council.municipality(name)
        if member is not None and member.contact:
            out[member.contact.casefold()] = out.get(member.contact.casefold(), ()) + (member.name,)
    return out


def rule_for(kind: str, project: Project | None, council: Council, settings: Settings) -> RecipientRule:
    if project is not None and kind in project.recipients:
        return project.recipients[kind]
    if kind in council.recipients:
        return council.recipients[kind]
    return settings.delivery.recipient_rule(kind)


def funders_named(ids: list[str] | tuple[str, ...], register: Register, project: Project | None,
                  council: Council, kind: str, period: str | None, shift: str = "before",
                  unknown_ok: bool = False) -> list[Funder]:
    """The funders whose deadlines ask for this document (``deadlines.funders_asking``) and those
    ``ids`` name besides: the project's, or for a council-wide document (the usage report) those of
    the council's projects — every address a funder id has in the projects the year's report lists
    (two projects may name the same funder with different case officers). An unknown id is a
    mistake, not a recipient fewer, unless ``unknown_ok`` (a run the watch started for a funder
    since removed from config: the others still get the document)."""
    from ..deadlines import funders_asking

    asking = funders_asking(register, kind, council.id, project.id if project else None, period, shift)
    listed: list[Funder] = []
    if project is not None:
        candidates = list(project.funders)
    else:
        candidates = [f for p in register.projects.values() if p.council == council.id for f in p.funders]
        # first the projects the year's report lists: an ended project's old address is not used
        year = int(period) if period and period.isdigit() else None
        listed = [f for p in register.projects.values() if p.council == council.id and year is not None
                  and p.period.start.year <= year <= p.period.end.year for f in p.funders]
    found: list[Funder] = []
    for fid in dict.fromkeys([*asking, *ids]):
        same = [f for f in listed if f.id == fid] or [f for f in candidates if f.id == fid]
        if not same:
            if unknown_ok:
                continue
            known = ", ".join(sorted({f.id for f in candidates})) or "none"
            raise UserError(f"unknown funder {echo(fid)} for {project.name if project else council.name} "
                            f"(known: {known})", field="funders")
        found += [f for f in same if f.email] or same[:1]
    return found


def resolve(kind: str, project: Project | None, council: Council, settings: Settings,
            funders: list[Funder] | tuple[Funder, ...] = (), no_skjonnsmidler: str | None = None,
            when: date | None = None, payers: list[str] | tuple[str, ...] = ()) -> list[Recipient]:
    """Everyone who should get this kind of document; 'to' wins over 'cc' for the same address.
    ``funders``: those whose deadline asks for it get it as 'to' (a funder without an e-mail
    address, e.g. one that takes reports in its portal, gets nothing by mail). ``no_skjonnsmidler``
    (why the document is about no skjønnsmidler): the default rule's county governor is left out
    (a final report's copies become its addressees; else there is no one to send to); a rule in
    config naming the county governor is kept. ``payers`` (a cost split: the municipalities with a
    share in it): each one's contact gets it as 'to', whatever the rule; one without a contact gets
    nothing (``payer_contacts`` names them)."""
    rule = rule_for(kind, project, council, settings)
    explicit = (project is not None and kind in project.recipients) or kind in council.recipients or \
        kind in settings.delivery.recipients
    to_words, cc_words = list(rule.to), list(rule.cc)
    if no_skjonnsmidler and not explicit and "county_governor" in to_words + cc_words:
        to_words = [w for w in to_words if w != "county_governor"]
        cc_words = [w for w in cc_words if w != "county_governor"]
        if not to_words and not funders and kind == "final":
            # the final report is the owner's record too: its copies become the addressees (an
            # application or usage report about no skjønnsmidler is for no one)
            to_words, cc_words = cc_words, []
        if not to_words and not any(f.email for f in funders):
            raise UserError(f"nothing to send: {no_skjonnsmidler}, so the county governor gets no "
                            f"'{kind}', and no one else is named for it", field="recipients")
    out: dict[str, Recipient] = {}

    def named(words: list[str]) -> list[tuple[Person, bool, bool, str]]:
        return [(p, w in OFFICES, False, "" if "@" in w else title(p, w))
                for w in words for p in _people(w, project, council, when)]

    # a funder by the name its document gives the county governor (``when``: that document's day)
    from_funders = [(Person(name=council.office_name(f.name, when) if when else f.name, email=f.email), True, False,
                     "") for f in funders if f.email]
    # the municipalities that pay: the cost split is the basis of their invoices (it went to the
    # steering group alone, and most paying municipalities never saw it: an outside tester)
    from_payers = [(person, True, True, "") for person in payer_contacts(council, payers)[0]]
    for role, people in (("to", named(to_words) + from_funders + from_payers), ("cc", named(cc_words))):
        for person, office, payer, who in people:
            if not person.email:
                continue
            key = person.email.casefold()
            if key not in out:
                out[key] = Recipient(person.name, person.email, role, office, payer, who)
    if not any(r.role == "to" for r in out.values()):
        subject = project.name if project else council.name
        raise UserError(f"no recipient with an e-mail address for '{kind}' of {subject}", field="recipients")
    return list(out.values())
