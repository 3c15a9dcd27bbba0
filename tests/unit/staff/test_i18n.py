"""The console's catalogue: every word exists in Latvian and English."""

from __future__ import annotations

from staff.i18n import missing_translations, translator, value_name


def test_every_key_is_translated_in_both_languages() -> None:
    assert missing_translations() == set()


def test_latvian_is_the_default_language() -> None:
    assert translator("xx")("sign_in") == "Ienākt"


def test_domain_values_read_as_plain_words() -> None:
    assert (value_name("lv", "awaiting_approval"), value_name("en", "awaiting_approval")) == (
        "gaida apstiprinājumu",
        "awaiting approval",
    )
