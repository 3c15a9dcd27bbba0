"""Identifier normalisation, keyed hashes (suppression, Art. 21(3)) and retention end dates."""

from __future__ import annotations

from datetime import date

from workflows.domain.datamap import IdentifierKind, RetentionStart, kept_until, keyed_hash, normalise_identifier
from workflows.domain.profile import Period

SECRET = b"test-secret-not-for-production"


def test_email_is_compared_lower_case_without_spaces() -> None:
    assert normalise_identifier(IdentifierKind.EMAIL, " Liga@Example.LV ") == "liga@example.lv"


def test_latvian_phone_written_without_country_code_gets_it() -> None:
    assert normalise_identifier(IdentifierKind.PHONE, "2000 0001") == "+37120000001"


def test_phone_with_international_prefix_keeps_its_country() -> None:
    assert normalise_identifier(IdentifierKind.PHONE, "00372 5123 4567") == "+37251234567"


def test_personal_code_without_hyphen_gets_one() -> None:
    assert normalise_identifier(IdentifierKind.PERSONAL_CODE, "15038510001") == "150385-10001"


def test_keyed_hash_matches_the_same_person_however_written() -> None:
    assert keyed_hash(SECRET, "email", "Liga@Example.lv") == keyed_hash(SECRET, "email", "liga@example.lv ")


def test_keyed_hash_depends_on_the_secret() -> None:
    assert keyed_hash(SECRET, "email", "liga@example.lv") != keyed_hash(b"other", "email", "liga@example.lv")


def test_keyed_hash_of_an_email_never_equals_that_of_a_phone() -> None:
    assert keyed_hash(SECRET, "email", "20000001") != keyed_hash(SECRET, "phone", "20000001")


def test_sales_documents_are_kept_five_years_from_the_end_of_the_financial_year() -> None:
    assert kept_until(date(2020, 2, 23), Period(years=5), RetentionStart.END_OF_YEAR) == date(2025, 12, 31)


def test_claims_are_kept_two_years_from_the_date_of_purchase() -> None:
    assert kept_until(date(2025, 2, 1), Period(years=2), RetentionStart.DATE) == date(2027, 2, 1)


def test_loyalty_card_number_printed_in_groups_is_joined() -> None:
    assert normalise_identifier(IdentifierKind.LOYALTY_CARD, "2900 0000 0001 1") == "2900000000011"
