import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.allocation import allocate
from marketplace.core.money import apply_bp, format_bp, format_pence, parse_pounds


@pytest.mark.parametrize(
    "pence,text",
    [(0, "£0.00"), (5, "£0.05"), (29500, "£295.00"), (123456789, "£1,234,567.89"), (-14750, "-£147.50")],
)
def test_format_pence(pence, text):
    assert format_pence(pence) == text


def test_format_refuses_floats():
    with pytest.raises(TypeError):
        format_pence(1.5)


@pytest.mark.parametrize(
    "text,pence",
    [("295", 29500), ("295.5", 29550), ("£1,234.56", 123456), (" 0.01 ", 1), ("18,200.00", 1820000)],
)
def test_parse_pounds(text, pence):
    assert parse_pounds(text) == pence


@pytest.mark.parametrize("text", ["", "abc", "-5", "1.234", "1,23.00", "12,34", "1e3", "£", "NaN", "1 000"])
def test_parse_pounds_is_strict(text):
    with pytest.raises(ValueError):
        parse_pounds(text)


def test_basis_points():
    assert format_bp(500) == "5%"  # as a person writes it: no needless zeros
    assert [format_bp(bp) for bp in (5000, 1250, 1225, 0, 10000, 5)] == [
        "50%",
        "12.5%",
        "12.25%",
        "0%",
        "100%",
        "0.05%",
    ]
    assert apply_bp(57000, 800) == 4560
    assert apply_bp(455000, 500) == 22750


def test_example_b_split_council_and_icb():
    # DESIGN.md example B: £590.00 over 3,000:1,500; the health share has the larger remainder.
    assert allocate(59000, [300000, 150000]) == [39333, 19667]


def test_example_c_three_way_tie_goes_to_first():
    assert allocate(100000, [1820000, 1040000, 260000]) == [58334, 33333, 8333]


def test_allocate_refuses_nonsense():
    for total, weights in [(-1, [1]), (1, []), (1, [0, 0]), (1, [-1, 2])]:
        with pytest.raises(ValueError):
            allocate(total, weights)


@given(total=st.integers(0, 10**9), weights=st.lists(st.integers(0, 10**7), min_size=1, max_size=8))
def test_allocation_properties(total, weights):
    if sum(weights) == 0:
        return
    parts = allocate(total, weights)
    assert sum(parts) == total
    denominator = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact_numerator = total * weight  # exact share = exact_numerator / denominator
        assert abs(part * denominator - exact_numerator) < denominator  # within a penny
        if weight == 0:
            assert part == 0


@given(total=st.integers(1, 10**6), n=st.integers(2, 6), weight=st.integers(1, 1000))
def test_equal_weights_give_extra_pennies_to_the_first(total, n, weight):
    parts = allocate(total, [weight] * n)
    assert parts == sorted(parts, reverse=True)
    assert max(parts) - min(parts) <= 1


@pytest.mark.parametrize("text,bp", [("5", 500), ("8.5", 850), ("12.25%", 1225), ("0", 0), ("100", 10000)])
def test_parse_percent_bp(text, bp):
    from marketplace.core.money import parse_percent_bp

    assert parse_percent_bp(text) == bp


@pytest.mark.parametrize("text", ["", "-5", "101", "5.555", "five", "1e2"])
def test_parse_percent_bp_is_strict(text):
    from marketplace.core.money import parse_percent_bp

    with pytest.raises(ValueError):
        parse_percent_bp(text)
