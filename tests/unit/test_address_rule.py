"""An address grantflow accepts is one RFC 5321/5322 allows as a plain dot-atom address: an
outside tester's 'a..b@b.no' and 'c@-b.no' passed validate and were sent to."""

from email.headerregistry import Address

import pytest
from hypothesis import given, settings, strategies as st

from grantflow.cli import main
from grantflow.models import email_address

from ..conftest import replace_in

HAUG = "projects/haugaland-velferdsteknologi.yaml"


@pytest.mark.parametrize("address", ["a..b@b.no", "c@-b.no", ".a@b.no", "a.@b.no", "a@b-.no", "a@b..no",
                                     "a@" + "b" * 64 + ".no", "a" * 65 + "@b.no"])
def test_validate_refuses_an_address_rfc_5322_does_not_allow(scratch_config, capsys, address):
    replace_in(scratch_config / HAUG, "email: radmann@haugesund.example.no", f"email: '{address}'")
    assert main(["validate", str(scratch_config)]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if "steering_group[0].email" in line]
    assert len(lines) == 1 and f"not an e-mail address: '{address}'" in lines[0], lines


@pytest.mark.parametrize("address", ["ola.nordmann@kommune.example.no", "a+b@b.no", "x-1@a-b.no", "post@b2.no"])
def test_ordinary_addresses_still_pass(address):
    assert email_address(address) == address


_PIECES = st.sampled_from(list("ab9.-_+!#=?{}~'\"@ ") + [".", "..", "-", "xn--", "@b.no", "@-b.no"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=14).map("".join))
def test_every_accepted_address_parses_back_unchanged(text):
    try:
        accepted = email_address(text)
    except ValueError:
        return
    parsed = Address(addr_spec=accepted)
    assert parsed.addr_spec == accepted and f"{parsed.username}@{parsed.domain}" == accepted
