from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grantflow.costsplit import allocate, largest_remainder, municipal_amount, split
from grantflow.errors import UserError
from grantflow.register import open_register

SEED_2015 = {  # seed 000, 1.6: (equal, by population) per municipality
    "Haugesund": (12360, 89360), "Karmøy": (12360, 103355), "Bokn": (12360, 2149),
    "Utsira": (12360, 522), "Sveio": (12360, 13523), "Tysvær": (12360, 26408),
    "Vindafjord": (12360, 21652), "Etne": (12360, 10043), "Sauda": (12360, 11783),
    "Suldal": (12360, 9605)}
SEED_2016 = {
    "Haugesund": 243570, "Karmøy": 281720, "Bokn": 5856, "Utsira": 1423, "Sveio": 36860,
    "Tysvær": 71980, "Vindafjord": 59017, "Etne": 27374, "Sauda": 32115, "Suldal": 26185}


@pytest.fixture(scope="module")
def register(request):
    from ..conftest import CONFIG
    return open_register(CONFIG)


def test_haugaland_2015_matches_seed(register):
    project = register.project("haugaland-velferdsteknologi")
    result = allocate(register.council_of(project), project, 2015, 412_000)
    assert result.total == 412_000 and sum(s.total for s in result.shares) == 412_000
    assert result.equal_total == 123_600 and result.weighted_total == 288_400
    for share in result.shares:
        equal, weighted = SEED_2015[share.municipality]
        assert share.equal == equal
        assert abs(share.weighted - weighted) <= 3, share


def test_haugaland_2016_matches_seed(register):
    project = register.project("haugaland-velferdsteknologi")
    result = allocate(register.council_of(project), project, 2016, 1_123_000)
    assert {s.equal for s in result.shares} == {33_690}
    assert sum(s.total for s in result.shares) == 1_123_000
    for share in result.shares:
        assert abs(share.weighted - SEED_2016[share.municipality]) <= 5, share


def test_default_amount_comes_from_financing(register):
    haug = register.project("haugaland-velferdsteknologi")
    assert municipal_amount(haug, 2015) == 412_000           # the plan's municipal line
    erp = register.project("kongsbergregionen-erp")
    assert municipal_amount(erp, 2014) == 1_400_000          # the rest: costs minus other sources
    ng = register.project("smart-velferdsregion-nord-gudbrandsdal")
    assert municipal_amount(ng, 2020) == 900_000              # 1000-kr budget converted to kroner


def test_non_participants_pay_nothing(register):
    project = register.project("kongsbergregionen-erp")
    result = allocate(register.council_of(project), project, 2014)
    outside = {s.municipality: s for s in result.shares if not s.participates}
    assert set(outside) == {"Nore og Uvdal", "Rollag", "Flesberg"}
    assert all(s.total == 0 for s in outside.values())
    assert sum(s.total for s in result.shares) == result.total


def test_negative_amount_is_a_user_error():
    with pytest.raises(UserError, match="negative"):
        split(-1, [("A", Decimal(1))], Decimal(30))


def test_largest_remainder_is_exact_and_deterministic():
    assert largest_remainder(10, [1, 1, 1]) == [4, 3, 3]
    assert largest_remainder(100, [2, 1, 1]) == [50, 25, 25]


names = st.lists(st.integers(min_value=0, max_value=200_000), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(total=st.integers(min_value=0, max_value=50_000_000), weights=names,
       equal=st.integers(min_value=0, max_value=100), joins=st.lists(st.booleans(), min_size=12, max_size=12))
def test_split_properties(total, weights, equal, joins):
    members = [f"K{i}" for i in range(len(weights))]
    participants = [(m, Decimal(w)) for m, w, j in zip(members, weights, joins) if j]
    if not participants or (sum(w for _, w in participants) == 0 and equal < 100 and total > 0):
        return
    shares = split(total, participants, Decimal(equal), members=members)
    assert sum(s.total for s in shares) == total                       # exact sum
    assert all(s.total >= 0 for s in shares)
    for s in shares:
        if not s.participates:
            assert s.total == 0                                         # non-participants pay 0
    ins = [s for s in shares if s.participates]
    for a in ins:
        for b in ins:
            if a.weight > b.weight:
                assert a.total >= b.total                               # more people never pay less
    assert split(total, participants, Decimal(equal), members=members) == shares  # deterministic
