"""Language and rights from free text, as real customers write in Latvian, English and Russian."""

from __future__ import annotations

import pytest

from mail_intake.classify import classify, detect_language, detect_rights, find_personal_code
from workflows.domain.rights import Language, Right


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Labdien! Lūdzu izsniegt visus manus personas datus. Ar cieņu, Jānis", Language.LV),
        ("Sveiki, ludzu izdzest manus datus, paldies", Language.LV),
        ("Hello, I would like a copy of my personal data please. Regards, Jānis Bērziņš", Language.EN),
        ("Здравствуйте! Прошу удалить мои персональные данные.", Language.RU),
        ("123 456", Language.LV),
    ],
)
def test_language_is_detected_with_latvian_as_default(text: str, language: Language) -> None:
    assert detect_language(text) is language


@pytest.mark.parametrize(
    ("text", "rights"),
    [
        ("Vēlos piekļūt saviem datiem — kādus datus par mani glabājat?", {Right.ACCESS}),
        ("Lūdzu izdzēsiet manu kontu un visus datus.", {Right.ERASURE}),
        ("Lūdzu labot manu adresi, tā ir mainījusies.", {Right.RECTIFICATION}),
        ("Pieprasu ierobežot manu datu apstrādi.", {Right.RESTRICTION}),
        ("Iebilstu pret datu apstrādi uz leģitīmo interešu pamata.", {Right.OBJECTION}),
        ("Iebilstu pret reklāmas īsziņām.", {Right.MARKETING_OBJECTION}),
        ("Lūdzu nesūtīt man reklāmas un atteikties no jaunumiem.", {Right.MARKETING_OBJECTION}),
        ("Vēlos izmantot tiesības uz datu pārnesamību.", {Right.PORTABILITY}),
        ("Es atsaucu savu piekrišanu datu apstrādei.", {Right.CONSENT_WITHDRAWAL}),
        ("Please send me a copy of my data and delete it afterwards.", {Right.ACCESS, Right.ERASURE}),
        ("I withdraw my consent and want to unsubscribe.", {Right.CONSENT_WITHDRAWAL, Right.MARKETING_OBJECTION}),
        ("Please rectify my name and restrict processing.", {Right.RECTIFICATION, Right.RESTRICTION}),
        ("Прошу предоставить доступ к моим данным.", {Right.ACCESS}),
        ("Хочу отписаться от рассылки и отозвать согласие.", {Right.MARKETING_OBJECTION, Right.CONSENT_WITHDRAWAL}),
        ("Прошу исправить мою фамилию.", {Right.RECTIFICATION}),
    ],
)
def test_rights_are_found_in_customer_wording(text: str, rights: set[Right]) -> None:
    assert detect_rights(text) == rights


def test_seed_policy_wording_names_rectification_erasure_and_restriction() -> None:
    text = 'pieprasīt "pabeigt, labot vai dzēst personas datus vai ierobežot apstrādes procesu'
    assert detect_rights(text) >= {Right.RECTIFICATION, Right.ERASURE, Right.RESTRICTION}


def test_latvian_stems_do_not_match_inside_unrelated_words() -> None:
    assert detect_rights("Strādāju laboratorijā un vēlos uzzināt darba laiku.") == frozenset()


def test_a_question_about_ones_data_is_an_access_request() -> None:
    found = classify("", "Ko jūs darāt ar maniem personas datiem?")
    assert found.rights == {Right.ACCESS} and found.recognised


def test_unrecognised_message_is_registered_as_access_but_marked_unrecognised() -> None:
    found = classify("Jautājums", "Kur ir mans pasūtījums?")
    assert found.rights == {Right.ACCESS}
    assert not found.recognised


def test_personal_code_in_the_text_is_picked_up_as_a_claim() -> None:
    assert find_personal_code("Mans personas kods ir 010190-10007.") == "010190-10007"


def test_a_phone_number_is_not_a_personal_code() -> None:
    assert find_personal_code("Zvaniet +371 29123456 vai 2912-34567") is None


def test_marketing_channel_is_named_for_an_sms_objection() -> None:
    found = classify("", "Lūdzu vairs nesūtīt reklāmas SMS uz manu tālruni.")
    assert found.rights == {Right.MARKETING_OBJECTION}
    assert found.marketing_channels == {"sms"}
