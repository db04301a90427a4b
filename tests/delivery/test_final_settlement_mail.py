"""The final report's settlement reaches the municipalities that paid (a member municipality's
finance officer, session 24): the final report went to the county governor and the steering
group's leader only, so Dal, which pays but sits in no steering group, never learnt its part; a
corrected final's mail named the municipalities' total and no one's own change. Now the final
report goes, like a cost split, to the contact of every municipality with a part in its
settlement, once, with that municipality's own amount first in the mail; a later version names
its change. Vestfjell (Åsen, Berg, Dal) from test_municipal_refund, over a real SMTP server; every
amount is computed by hand here (largest remainder, README), never by grantflow."""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction

from grantflow.cli import main

from ..conftest import replace_in
from ..documents.test_municipal_refund import (LEDGER, MUN, NBSP, _money, _send, _split_by_hand,
                                               _write_project, vestfjell)  # noqa: F401 (fixture)
from ..smtp_server import SmtpServer, free_port, use_smtp

PLAN = ", amounts: {2021: 700000, 2022: 900000, 2023: 800000}"
POPULATION = {2021: {"Åsen": 5000, "Berg": 12000, "Dal": 800}, 2022: {"Åsen": 5200, "Berg": 11800, "Dal": 820},
              2023: {"Åsen": 5300, "Berg": 11700, "Dal": 830}}
INVOICED = {2021: 700_000, 2022: 900_000, 2023: 800_000}
CONTACTS = {"Åsen": "okonomi@asen.example.no", "Berg": "okonomi@berg.example.no", "Dal": "postmottak@dal.example.no"}
GOVERNOR, LEADER = "sfvlpost@statsforvalteren.example.no", "radmann@asen.example.no"


def _largest_remainder(total: int, weights: dict[str, int]) -> dict[str, int]:
    exact = {n: Fraction(total * w, sum(weights.values())) for n, w in weights.items()}
    out = {n: math.floor(x) for n, x in exact.items()}
    for n in sorted(weights, key=lambda n: (-(exact[n] - out[n]), -weights[n]))[:total - sum(out.values())]:
        out[n] += 1
    return out


def _settled(unused: int) -> dict[str, int]:
    """The key changed between the years (population on 1 January of each): the unused part goes in
    proportion to what each was invoiced over the period (README)."""
    paid = Counter()
    for year, amount in INVOICED.items():
        paid.update(_split_by_hand(amount, POPULATION[year]))
    return _largest_remainder(unused, dict(paid))


def _first_lines(mail) -> list[str]:
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n").replace(NBSP, " ")
    return [line for line in text.split("\n") if line.strip()][:2]


def _contacts_and_no_dal_in_the_steering_group(config):
    council = config / "councils/vestfjell.yaml"
    for name, email in CONTACTS.items():
        replace_in(council, f"{{name: {name}, population:", f"{{name: {name}, contact: {email}, population:")
    replace_in(config / "projects/fjell-digi.yaml",
               "  - {name: Rådmann Dal, role: medlem, organisation: Dal kommune, email: radmann@dal.example.no}\n", "")


def test_each_paying_municipality_gets_its_own_settlement_first_once_and_its_change_in_a_new_version(
        vestfjell, tmp_path):
    _write_project(vestfjell, "fjell-digi", PLAN)
    _contacts_and_no_dal_in_the_steering_group(vestfjell)
    port = free_port()
    use_smtp(vestfjell, port)
    with SmtpServer(port=port) as server:
        for year, day in ((2021, "2021-02-23"), (2022, "2022-02-21"), (2023, "2023-02-20")):
            _send(vestfjell, "costsplit", "fjell-digi", "--year", str(year), "--as-of", day)
        first = len(server.recorder.messages())
        _send(vestfjell, "final", "fjell-digi")
        _send(vestfjell, "final", "fjell-digi")              # again, unchanged: nobody gets it twice
        v1 = server.recorder.messages()[first:]
        # a late ledger row for the municipalities' line: version 2
        ledger = vestfjell / "data/fjell-digi/regnskap.csv"
        ledger.write_text(ledger.read_text(encoding="utf-8")
                          + "20.12.2023;2023;Utstyr;Sen faktura;64 000;Kommunene (kostnadsfordeling);\n",
                          encoding="utf-8")
        _send(vestfjell, "final", "fjell-digi")
        v2 = server.recorder.messages()[first + len(v1):]
    used = sum(a for *_, a, s in LEDGER if s == MUN)
    before, after = _settled(sum(INVOICED.values()) - used), _settled(sum(INVOICED.values()) - used - 64_000)
    assert sum(before.values()) == 2_400_000 - used and before["Dal"] > 0
    # was: the county governor and the steering group's leader only
    got = Counter(r.casefold() for m in v1 for r in [m["To"].addresses[0].addr_spec])
    assert got == Counter({GOVERNOR: 1, LEADER: 1, **{e: 1 for e in CONTACTS.values()}}), got
    got2 = Counter(m["To"].addresses[0].addr_spec.casefold() for m in v2)
    assert got2 == got, got2
    for mails, amounts, earlier in ((v1, before, None), (v2, after, before)):
        for name, email in CONTACTS.items():
            (mail,) = [m for m in mails if m["To"].addresses[0].addr_spec == email]
            lines = _first_lines(mail)
            assert lines[0] == f"Til {name} kommune", lines
            own = f"{name} kommune får tilbake {_money(amounts[name])} i avregningen med kommunene"
            assert lines[1].startswith(own), lines
            if earlier:
                assert lines[1].endswith(f"Endret fra versjon 1: får tilbake {_money(earlier[name])} → "
                                         f"får tilbake {_money(amounts[name])}."), lines
    # the steering group's leader and the county governor read each municipality's change
    (governor,) = [m for m in v2 if m["To"].addresses[0].addr_spec == GOVERNOR]
    body = " ".join(governor.get_body(("plain",)).get_content().replace(NBSP, " ").split())
    for name in CONTACTS:
        assert (f"Avregning, {name}: får tilbake {_money(before[name])} → får tilbake {_money(after[name])}"
                in body), body


def test_an_overspend_is_said_as_what_the_municipality_pays_and_a_resend_says_so(vestfjell, tmp_path):
    _write_project(vestfjell, "fjell-digi", PLAN)
    _contacts_and_no_dal_in_the_steering_group(vestfjell)
    ledger = vestfjell / "data/fjell-digi/regnskap.csv"
    # 600 000 kr more on the municipalities' line than the 530 000 kr left: they pay 70 000 kr more
    ledger.write_text(ledger.read_text(encoding="utf-8")
                      + "20.12.2023;2023;Utstyr;Sen faktura;600 000;Kommunene (kostnadsfordeling);\n", encoding="utf-8")
    port = free_port()
    use_smtp(vestfjell, port)
    with SmtpServer(port=port) as server:
        for year, day in ((2021, "2021-02-23"), (2022, "2022-02-21"), (2023, "2023-02-20")):
            _send(vestfjell, "costsplit", "fjell-digi", "--year", str(year), "--as-of", day)
        first = len(server.recorder.messages())
        _send(vestfjell, "final", "fjell-digi")
        _send(vestfjell, "final", "fjell-digi", "--resend", "--recipient", CONTACTS["Dal"])
        mails = server.recorder.messages()[first:]
    used = sum(a for *_, a, s in LEDGER if s == MUN) + 600_000
    over = used - sum(INVOICED.values())
    assert over == 70_000
    pays = _settled(over)
    got = Counter(m["To"].addresses[0].addr_spec.casefold() for m in mails)
    assert got == Counter({GOVERNOR: 1, LEADER: 1, CONTACTS["Åsen"]: 1, CONTACTS["Berg"]: 1, CONTACTS["Dal"]: 2}), got
    for name, email in CONTACTS.items():
        mine = [m for m in mails if m["To"].addresses[0].addr_spec == email]
        for mail in mine:
            assert _first_lines(mail)[1] == (f"{name} kommune betaler {_money(pays[name])} i avregningen med "
                                             f"kommunene ({_percent(pays[name], over)} av kommunenes merforbruk, "
                                             f"{_money(over)})."), _first_lines(mail)
    again = mails[-1]
    assert "ny utsending av versjon 1" in again["Subject"], again["Subject"]
    assert "Dette er en ny utsending av versjon 1" in again.get_body(("plain",)).get_content()


def _percent(part: int, total: int) -> str:
    """The share as the report prints it: of what each was invoiced, one decimal (README)."""
    paid = Counter()
    for year, amount in INVOICED.items():
        paid.update(_split_by_hand(amount, POPULATION[year]))
    name = next(n for n, p in _settled(total).items() if p == part)
    tenths = Fraction(paid[name] * 1000, sum(paid.values()))
    rounded = math.floor(tenths + Fraction(1, 2))
    return f"{rounded // 10},{rounded % 10} %"


def test_a_final_made_before_the_record_kept_its_settlement_still_tells_each_municipality_its_part(
        vestfjell, tmp_path):
    """A final report rendered (or sent to the county governor) by the code before: its record's
    version entry has no settlement; sent now, each municipality still reads its part first."""
    import json

    _write_project(vestfjell, "fjell-digi", PLAN)
    _contacts_and_no_dal_in_the_steering_group(vestfjell)
    port = free_port()
    use_smtp(vestfjell, port)
    with SmtpServer(port=port) as server:
        for year, day in ((2021, "2021-02-23"), (2022, "2022-02-21"), (2023, "2023-02-20")):
            _send(vestfjell, "costsplit", "fjell-digi", "--year", str(year), "--as-of", day)
        assert main(["--config", str(vestfjell), "render", "final", "fjell-digi"]) == 0
        record = tmp_path / "outputs/vestfjell/fjell-digi/final-2023.json"
        data = json.loads(record.read_text(encoding="utf-8"))
        for entry in data["versions"]:
            entry["snapshot"].pop("settlement", None)
        data.get("snapshot", {}).pop("settlement", None)
        record.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        first = len(server.recorder.messages())
        _send(vestfjell, "final", "fjell-digi")
        mails = server.recorder.messages()[first:]
    used = sum(a for *_, a, s in LEDGER if s == MUN)
    parts = _settled(sum(INVOICED.values()) - used)
    (dal,) = [m for m in mails if m["To"].addresses[0].addr_spec == CONTACTS["Dal"]]
    assert _first_lines(dal)[1].startswith(f"Dal kommune får tilbake {_money(parts['Dal'])} i avregningen"), \
        _first_lines(dal)
