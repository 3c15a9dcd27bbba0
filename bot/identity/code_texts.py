"""The one-time code message in Latvian, English and Russian (e-mail subject and body; SMS body).

The code message names the reference and the code only: no name, no request content, so a
message that reaches the wrong inbox discloses nothing about the person's data.
"""

from __future__ import annotations

from workflows.domain.rights import Language

_SUBJECT = {
    Language.LV: "Jūsu vienreizējais kods",
    Language.EN: "Your one-time code",
    Language.RU: "Ваш одноразовый код",
}

_BODY = {
    Language.LV: (
        "Jūsu kods pieprasījuma {reference} apstiprināšanai: {code}\n"
        "Kods derīgs {minutes} minūtes. Ievadiet to tērzēšanā ar mūsu botu.\n"
        "Ja kodu neprasījāt, neko nedariet un nevienam to nesakiet."
    ),
    Language.EN: (
        "Your code to confirm request {reference}: {code}\n"
        "The code is valid for {minutes} minutes. Enter it in the chat with our bot.\n"
        "If you did not ask for it, do nothing and tell it to nobody."
    ),
    Language.RU: (
        "Ваш код для подтверждения запроса {reference}: {code}\n"
        "Код действует {minutes} минут. Введите его в чате с нашим ботом.\n"
        "Если вы не запрашивали код, ничего не делайте и никому его не сообщайте."
    ),
}


# Where to type the code: the chat's wording is in _BODY; the web page's replaces it.
_ENTER_IN_CHAT = {
    Language.LV: "Ievadiet to tērzēšanā ar mūsu botu.",
    Language.EN: "Enter it in the chat with our bot.",
    Language.RU: "Введите его в чате с нашим ботом.",
}
_ENTER_ON_PAGE = {
    Language.LV: "Ievadiet to lapā, kurā to pieprasījāt.",
    Language.EN: "Enter it on the page where you asked for it.",
    Language.RU: "Введите его на странице, где вы его запросили.",
}


def code_message(
    language: Language, *, reference: str, code: str, minutes: int, entered_on: str = "chat"
) -> tuple[str, str]:
    """Subject and plain-text body of the code message; ``entered_on`` is "chat" or "web"."""
    lang = language if language in _BODY else Language.LV
    body = _BODY[lang].format(reference=reference, code=code, minutes=minutes)
    if entered_on == "web":
        body = body.replace(_ENTER_IN_CHAT[lang], _ENTER_ON_PAGE[lang])
    return _SUBJECT[lang], body
