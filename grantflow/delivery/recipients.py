"""Recipients per document kind, from config: project rule, else council rule, else settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..errors import UserError
from ..models import RECIPIENT_WORDS as WORDS, Council, Person, Project, RecipientRule
from ..settings import Settings

@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    role: str   # "to" or "cc"


def _people(word: str, project: Project | None, council: Council) -> list[Person]:
    if "@" in word:
        return [Person(name=word, email=word)]
    if word == "county_governor":
        office = council.county_governor
        if office.name.casefold().startswith(("fylkesmannen", "statsforvalteren")):
            # the office by today's name, as the documents call it (the register may hold the old one)
            office = office.model_copy(update={"name": council.governor_office(date.today())})
        return [office]
    if word == "secretariat":
        return [council.secretariat]
    if project is None:
        return []
    if word == "steering_group":
        return list(project.steering_group)
    if word == "steering_group_leader":
        leaders = [p for p in project.steering_group if p.role.casefold() in ("leder", "styringsgruppeleder")]
        return leaders[:1] or project.steering_group[:1]
    if word == "leader":
        return [project.leader]
    if word == "contact":
        return [project.contact or project.leader]
    raise UserError(f"unknown recipient {word!r} (use an e-mail address or one of: {', '.join(WORDS)})",
                    field="recipients")


def rule_for(kind: str, project: Project | None, council: Council, settings: Settings) -> RecipientRule:
    if project is not None and kind in project.recipients:
        return project.recipients[kind]
    if kind in council.recipients:
        return council.recipients[kind]
    return settings.delivery.recipient_rule(kind)


def resolve(kind: str, project: Project | None, council: Council, settings: Settings) -> list[Recipient]:
    """Everyone who should get this kind of document; 'to' wins over 'cc' for the same address."""
    rule = rule_for(kind, project, council, settings)
    out: dict[str, Recipient] = {}
    for role, words in (("to", rule.to), ("cc", rule.cc)):
        for word in words:
            for person in _people(word, project, council):
                if not person.email:
                    continue
                key = person.email.casefold()
                if key not in out:
                    out[key] = Recipient(person.name, person.email, role)
    if not any(r.role == "to" for r in out.values()):
        subject = project.name if project else council.name
        raise UserError(f"no recipient with an e-mail address for '{kind}' of {subject}", field="recipients")
    return list(out.values())
