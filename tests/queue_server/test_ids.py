"""Identity document numbers: parsing, check digit, masking and age."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.domain.ids import (
    IdKind,
    IdNumber,
    InvalidIdNumber,
    age_on,
    check_digit,
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_id_number,
    parse_id_number,
)


def with_check(first17: str) -> str:
    return first17 + check_digit(first17)


# -- check digit ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",  # the example printed in GB 11643-1999
        "440524188001010014",
        "360426199101010071",
        "110101200001010010",
    ],
)
def test_check_digit_of_published_examples(number: str) -> None:
    assert check_digit(number[:17]) == number[17]


@pytest.mark.parametrize("bad", ["", "1101051949123100", "110105194912310021", "1101051949123100X"])
def test_check_digit_needs_17_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_digit(bad)


def test_check_digit_refuses_non_ascii_digits() -> None:
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_digit("١" * 17)


# -- parsing: table ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11010519491231002X", IdNumber("11010519491231002X", IdKind.RESIDENT, date(1949, 12, 31))),
        ("11010519491231002x", IdNumber("11010519491231002X", IdKind.RESIDENT, date(1949, 12, 31))),
        (
            " 110105 19491231 002X\n",
            IdNumber("11010519491231002X", IdKind.RESIDENT, date(1949, 12, 31)),
        ),
        (
            "１１０１０５１９４９１２３１００２ｘ",
            IdNumber("11010519491231002X", IdKind.RESIDENT, date(1949, 12, 31)),
        ),
        ("360426199101010071", IdNumber("360426199101010071", IdKind.RESIDENT, date(1991, 1, 1))),
        ("110101200001010010", IdNumber("110101200001010010", IdKind.RESIDENT, date(2000, 1, 1))),
        (
            with_check("81000019900101001"),
            IdNumber(with_check("81000019900101001"), IdKind.HMT_RESIDENCE, date(1990, 1, 1)),
        ),
        (
            with_check("82000020010630002"),
            IdNumber(with_check("82000020010630002"), IdKind.HMT_RESIDENCE, date(2001, 6, 30)),
        ),
        (
            with_check("83000019751111003"),
            IdNumber(with_check("83000019751111003"), IdKind.HMT_RESIDENCE, date(1975, 11, 11)),
        ),
        (
            with_check("91115619880715001"),
            IdNumber(with_check("91115619880715001"), IdKind.FOREIGN_PERMANENT, date(1988, 7, 15)),
        ),
        (
            "USA110088071512",
            IdNumber("USA110088071512", IdKind.FOREIGN_PERMANENT, date(1988, 7, 15)),
        ),
        (
            "gbr440015010111",
            IdNumber("GBR440015010111", IdKind.FOREIGN_PERMANENT, date(2015, 1, 1)),
        ),
        (
            "DEU310024022910",
            IdNumber("DEU310024022910", IdKind.FOREIGN_PERMANENT, date(1924, 2, 29)),
        ),
        (
            with_check("11010520000229001"),
            IdNumber(with_check("11010520000229001"), IdKind.RESIDENT, date(2000, 2, 29)),
        ),
    ],
)
def test_parse_valid_numbers(text: str, expected: IdNumber) -> None:
    assert parse_id_number(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "length"),
        ("11010519491231002", "length"),
        ("11010519491231002X1", "length"),
        ("110105491231002", "length"),  # first-generation 15-digit number
        ("11010519491231002Y", "characters"),
        ("1101051949123100X2", "characters"),
        ("11010519491231-02X", "characters"),
        ("US1110088071512", "characters"),
        ("USA11008807151X", "characters"),
        ("110105194912310021", "check_digit"),
        ("11010519491231003X", "check_digit"),
        ("440524188001010014", "birth_date"),  # valid check digit, born 1880
        (with_check("11010519000229001"), "birth_date"),  # 1900 was not a leap year
        (with_check("11010519911301001"), "birth_date"),
        (with_check("11010519910431001"), "birth_date"),
        (with_check("11010519910100001"), "birth_date"),
        ("CAN310005023012", "birth_date"),
        (with_check("01010519910101001"), "region"),
        (with_check("71000019910101001"), "region"),
        (with_check("81000119910101001"), "region"),
        (with_check("84000019910101001"), "region"),
    ],
)
def test_parse_invalid_numbers(text: str, reason: str) -> None:
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(text)
    assert caught.value.reason == reason
    assert str(caught.value)


def test_invalid_id_number_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="check digit"):
        parse_id_number("110105194912310021")


# -- parsing: properties -------------------------------------------------------------------

PROVINCES = ["11", "13", "31", "33", "44", "46", "50", "54", "65"]
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def resident_numbers(draw: st.DrawFn) -> tuple[str, date]:
    province = draw(st.sampled_from(PROVINCES))
    rest = draw(st.text("0123456789", min_size=4, max_size=4))
    birth = draw(births)
    sequence = draw(st.text("0123456789", min_size=3, max_size=3))
    return with_check(f"{province}{rest}{birth:%Y%m%d}{sequence}"), birth


@given(resident_numbers())
def test_generated_resident_numbers_parse(case: tuple[str, date]) -> None:
    number, birth = case
    assert parse_id_number(number) == IdNumber(number, IdKind.RESIDENT, birth)
    assert parse_id_number(number.lower()).value == number


@given(resident_numbers(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_error_is_caught(case: tuple[str, date], pos: int, shift: int) -> None:
    number, _ = case
    wrong = str((int(number[pos]) + shift) % 10)
    typo = number[:pos] + wrong + number[pos + 1 :]
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(typo)
    assert caught.value.reason == "check_digit"


@given(resident_numbers(), st.integers(0, 15))
def test_any_swap_of_neighbouring_digits_is_caught(case: tuple[str, date], pos: int) -> None:
    number, _ = case
    if number[pos] == number[pos + 1]:
        return
    swapped = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2 :]
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(swapped)
    assert caught.value.reason == "check_digit"


GB11643_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


@given(st.text("0123456789", min_size=17, max_size=17))
def test_weighted_sum_with_check_is_one_mod_11(first17: str) -> None:
    check = check_digit(first17)
    value = 10 if check == "X" else int(check)
    total = sum(int(d) * w for d, w in zip(first17, GB11643_WEIGHTS, strict=True)) + value
    assert total % 11 == 1


REASONS = {"length", "characters", "check_digit", "region", "birth_date"}


def outcome(text: str) -> str:
    """The normalised number, or the reason it was refused."""
    try:
        return parse_id_number(text).value
    except InvalidIdNumber as exc:
        return exc.reason


@given(
    st.text(max_size=30)
    | st.text("0123456789Xx ", min_size=15, max_size=19)
    | st.text("ABCUSA0123456789", min_size=15, max_size=15)
)
def test_parse_accepts_or_explains(text: str) -> None:
    assert outcome(text) in REASONS | {normalise_id_number(text)}


# -- masking -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "head", "tail", "expected"),
    [
        ("11010519491231002X", 6, 4, "110105********002X"),
        ("11010519491231002X", 3, 2, "110*************2X"),
        ("11010519491231002X", 0, 0, "******************"),
        ("USA110088071512", 6, 4, "USA110*****1512"),
        ("12345", 6, 4, "*****"),
        ("1234567890", 6, 4, "**********"),
    ],
)
def test_mask_id_number(value: str, head: int, tail: int, expected: str) -> None:
    assert mask_id_number(value, keep_head=head, keep_tail=tail) == expected


def test_mask_id_number_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        mask_id_number("11010519491231002X", keep_head=-1)


@given(st.text("0123456789X", max_size=20), st.integers(0, 8), st.integers(0, 8))
def test_mask_keeps_length_and_ends(value: str, head: int, tail: int) -> None:
    masked = mask_id_number(value, head, tail)
    assert len(masked) == len(value)
    if len(value) > head + tail:
        assert masked.startswith(value[:head])
        assert masked.endswith(value[len(value) - tail :])
        assert masked.count("*") >= len(value) - head - tail
    else:
        assert set(masked) <= {"*"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三", "张*"),
        ("李小龙", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("诸葛亮", "诸葛*"),
        ("司马相如", "司马**"),
        ("欧阳", "欧*"),
        ("王", "王"),
        ("  赵六 ", "赵*"),
        ("买买提·艾力", "买**·**"),
        ("John Smith", "J*** *****"),
        ("", ""),
    ],
)
def test_mask_name(name: str, expected: str) -> None:
    assert mask_name(name) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("0571-88881234", "**********34"),
        ("+8613812345678", "************78"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_mask_phone(phone: str, expected: str) -> None:
    assert mask_phone(phone) == expected


# -- age -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1955, 6, 15), date(2025, 6, 14), 69),
        (date(1955, 6, 15), date(2025, 6, 15), 70),
        (date(1955, 6, 15), date(2025, 12, 31), 70),
        (date(1956, 2, 29), date(2026, 2, 28), 69),
        (date(1956, 2, 29), date(2026, 3, 1), 70),
        (date(1956, 2, 29), date(2028, 2, 29), 72),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
    ],
)
def test_age_on(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before the birth"):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


@given(births, st.integers(0, 120))
def test_age_on_birthday_is_the_years(birth: date, years: int) -> None:
    try:
        birthday = birth.replace(year=birth.year + years)
    except ValueError:  # 29 February in a common year
        birthday = date(birth.year + years, 3, 1)
    assert age_on(birth, birthday) == years
    if years:
        assert age_on(birth, birthday - timedelta(days=1)) == years - 1


@given(births, births, births)
def test_age_never_decreases(birth: date, a: date, b: date) -> None:
    first, second = sorted((a, b))
    if first < birth:
        return
    assert age_on(birth, first) <= age_on(birth, second)
