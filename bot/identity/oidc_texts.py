"""What the eID login tells the person, in Latvian, English and Russian: the confirmation page
the callback shows in the browser and the message the chat receives.

Both name the reference and the rights confirmed (so a person who opened someone else's
link sees at once which request it was), never a personal code. Before anything is recorded
the page asks the person who logged in "Is this your request?", naming the request's
reference, channel, date received and rights in plain words, and the name she logged in
with. Each failure says what to do next. Latvian is the default (Official Language Law).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from html import escape

from bot import texts

LANGUAGES = ("lv", "en", "ru")

_TEXT: dict[str, dict[str, str]] = {
    "lv": {
        "verified.title": "Identitāte apstiprināta",
        "verified.body": "Ar eID pieteikšanos apstiprināts pieprasījums {reference}: {rights}.",
        "verified.next.chat": "Varat atgriezties Telegram; turpmāko uzzināsiet tur.",
        "verified.next.web": "Varat aizvērt šo lapu; atbildi saņemsiet pa e-pastu.",
        "verified.not_you": "Ja šo pieprasījumu neiesniedzāt Jūs, nekavējoties sazinieties ar mums.",
        "chat.verified": "Paldies, Jūsu identitāte ir apstiprināta ar eID. Pieprasījums {reference}: {rights}.",
        "failed.title": "Identitāti neizdevās apstiprināt",
        "failed.reference": "Pieprasījums {reference} joprojām gaida identitātes apstiprinājumu; tas nav zaudēts.",
        "stale_login": "Pakalpojums neprasīja jaunu pieteikšanos (tika izmantota iepriekšēja sesija). "
        "Izrakstieties no eParaksts/Smart-ID pakalpojuma, pieprasiet jaunu saiti un piesakieties vēlreiz.",
        "cancelled": "Pieteikšanās tika atcelta. Ja vēlaties, pieprasiet jaunu saiti un mēģiniet vēlreiz.",
        "token": "Pieteikšanās atbildi neizdevās pārbaudīt. Pieprasiet jaunu saiti; ja tas atkārtojas, "
        "izvēlieties citu veidu. Mūsu darbinieki ir informēti.",
        "provider": "eID pakalpojums pašlaik neatbild. Mēģiniet vēlāk ar jaunu saiti vai izvēlieties citu veidu.",
        "rejected": "Pieteicās cita persona, nevis tā, par kuru ir pieprasījums. Piesakieties ar savu eID "
        "vai izvēlieties citu veidu.",
        "needs_staff": "Pieteikšanās izdevās, bet to neizdevās automātiski sasaistīt ar mūsu datiem. "
        "Mūsu darbinieki pārbaudīs un sazināsies ar Jums.",
        "closed": "Šis pieprasījums jau ir noslēgts vai tam identitāte vairs nav jāapstiprina.",
        "state": "Šī saite nav derīga (jau izmantota vai novecojusi). Pieprasiet jaunu saiti.",
        "next.chat": "Tērzēšanā pieprasiet jaunu saiti vai izvēlieties citu veidu.",
        "next.web": "Atveriet saiti no mūsu vēstules vēlreiz vai atbildiet uz to pa e-pastu.",
        "confirm.title": "Vai šis ir Jūsu pieprasījums?",
        "confirm.who": "Jūs pieteicāties ar eID kā {name}.",
        "confirm.who.unnamed": "Jūs pieteicāties ar eID.",
        "confirm.request": "Pieprasījums {reference}, saņemts {received} {channel}, lūdz: {rights}.",
        "confirm.question": "Vai šo pieprasījumu iesniedzāt Jūs? Kamēr neatbildēsiet, nekas netiks reģistrēts.",
        "confirm.yes": "Jā, tas ir mans pieprasījums",
        "confirm.no": "Nē, es to nepieprasīju",
        "confirm.hint": "Ja kāds Jums atsūtīja šo saiti un lūdza “apstiprināt”, spiediet “Nē”.",
        "declined.title": "Nekas netika reģistrēts",
        "declined": "Paldies. Jūsu identitāte šim pieprasījumam netika piesaistīta, un mūsu darbinieki "
        "to pārbaudīs. Jums nekas vairs nav jādara.",
        "chat.declined": "Identitāte ar eID netika apstiprināta. Varat izvēlēties citu veidu.",
        "other_browser": "Šī pieteikšanās tika sākta citā pārlūkā. Atveriet saiti no mūsu vēstules šajā "
        "pārlūkā un sāciet no jauna.",
        "confirm_expired": "Šī apstiprināšanas lapa ir novecojusi vai jau izmantota; nekas netika reģistrēts. "
        "Pieprasiet jaunu saiti un piesakieties vēlreiz.",
        "channel.email": "pa e-pastu",
        "channel.telegram": "Telegram tērzēšanā",
        "channel.in_person": "klātienē veikalā",
        "channel.staff": "ar mūsu darbinieku starpniecību",
        "plain.access": "Jūsu datu kopija",
        "plain.rectification": "Jūsu datu labošana",
        "plain.erasure": "Jūsu datu dzēšana",
        "plain.restriction": "Jūsu datu apstrādes ierobežošana",
        "plain.portability": "Jūsu datu izsniegšana pārnešanai",
        "plain.objection": "iebildums pret Jūsu datu apstrādi",
        "plain.marketing_objection": "reklāmas pārtraukšana",
        "plain.consent_withdrawal": "Jūsu piekrišanas atsaukšana",
    },
    "en": {
        "verified.title": "Identity confirmed",
        "verified.body": "Your eID login confirmed request {reference}: {rights}.",
        "verified.next.chat": "You can return to Telegram; you will hear from us there.",
        "verified.next.web": "You can close this page; the answer comes by e-mail.",
        "verified.not_you": "If you did not make this request, contact us at once.",
        "chat.verified": "Thank you, your identity is confirmed by eID. Request {reference}: {rights}.",
        "failed.title": "Identity not confirmed",
        "failed.reference": "Request {reference} is still waiting for proof of identity; nothing is lost.",
        "stale_login": "The service did not ask you to log in again (an earlier session was used). "
        "Log out of the eParaksts/Smart-ID service, ask for a new link and log in again.",
        "cancelled": "The login was cancelled. If you wish, ask for a new link and try again.",
        "token": "The login's answer could not be checked. Ask for a new link; if this happens again, "
        "choose another way. Our staff have been told.",
        "provider": "The eID service is not answering now. Try later with a new link or choose another way.",
        "rejected": "Someone other than the person the request is about logged in. Log in with your own eID "
        "or choose another way.",
        "needs_staff": "The login worked but could not be matched to our records automatically. "
        "Our staff will check and contact you.",
        "closed": "This request is already closed or no longer needs proof of identity.",
        "state": "This link is not valid (already used or expired). Ask for a new link.",
        "next.chat": "Ask for a new link in the chat or choose another way.",
        "next.web": "Open the link in our letter again, or answer it by e-mail.",
        "confirm.title": "Is this your request?",
        "confirm.who": "You logged in with eID as {name}.",
        "confirm.who.unnamed": "You logged in with eID.",
        "confirm.request": "Request {reference}, received {received} {channel}, asks for: {rights}.",
        "confirm.question": "Did you make this request? Nothing is recorded until you answer.",
        "confirm.yes": "Yes, this is my request",
        "confirm.no": "No, I did not ask for this",
        "confirm.hint": "If someone sent you this link and asked you to \u201cconfirm\u201d, press \u201cNo\u201d.",
        "declined.title": "Nothing was recorded",
        "declined": "Thank you. Your identity was not attached to this request, and our staff will look "
        "into it. There is nothing more you need to do.",
        "chat.declined": "Your identity was not confirmed by eID. You can choose another way.",
        "other_browser": "This login was started in another browser. Open the link from our letter in this "
        "browser and start again.",
        "confirm_expired": "This confirmation page has expired or was already answered; nothing was recorded. "
        "Ask for a new link and log in again.",
        "channel.email": "by e-mail",
        "channel.telegram": "in the Telegram chat",
        "channel.in_person": "in a shop",
        "channel.staff": "through our staff",
        "plain.access": "a copy of your data",
        "plain.rectification": "correction of your data",
        "plain.erasure": "erasure of your data",
        "plain.restriction": "restriction of the use of your data",
        "plain.portability": "your data to take elsewhere",
        "plain.objection": "an objection to the use of your data",
        "plain.marketing_objection": "an end to marketing",
        "plain.consent_withdrawal": "withdrawal of your consent",
    },
    "ru": {
        "verified.title": "Личность подтверждена",
        "verified.body": "Вход через eID подтвердил запрос {reference}: {rights}.",
        "verified.next.chat": "Можете вернуться в Telegram; дальнейшее узнаете там.",
        "verified.next.web": "Можете закрыть эту страницу; ответ придёт по электронной почте.",
        "verified.not_you": "Если этот запрос подали не вы, немедленно свяжитесь с нами.",
        "chat.verified": "Спасибо, ваша личность подтверждена через eID. Запрос {reference}: {rights}.",
        "failed.title": "Личность не подтверждена",
        "failed.reference": "Запрос {reference} по-прежнему ждёт подтверждения личности; он не потерян.",
        "stale_login": "Сервис не попросил войти заново (использован прежний сеанс). "
        "Выйдите из сервиса eParaksts/Smart-ID, запросите новую ссылку и войдите снова.",
        "cancelled": "Вход отменён. При желании запросите новую ссылку и попробуйте снова.",
        "token": "Ответ сервиса входа не удалось проверить. Запросите новую ссылку; если это повторится, "
        "выберите другой способ. Наши сотрудники уведомлены.",
        "provider": "Сервис eID сейчас не отвечает. Попробуйте позже с новой ссылкой или выберите другой способ.",
        "rejected": "Вошёл другой человек, а не тот, о ком запрос. Войдите со своим eID или выберите другой способ.",
        "needs_staff": "Вход удался, но его не удалось автоматически сопоставить с нашими данными. "
        "Наши сотрудники проверят и свяжутся с вами.",
        "closed": "Этот запрос уже закрыт или подтверждение личности больше не нужно.",
        "state": "Эта ссылка недействительна (уже использована или устарела). Запросите новую ссылку.",
        "next.chat": "Запросите новую ссылку в чате или выберите другой способ.",
        "next.web": "Откройте ссылку из нашего письма снова или ответьте на него по электронной почте.",
        "confirm.title": "Это ваш запрос?",
        "confirm.who": "Вы вошли через eID как {name}.",
        "confirm.who.unnamed": "Вы вошли через eID.",
        "confirm.request": "Запрос {reference}, получен {received} {channel}, просит: {rights}.",
        "confirm.question": "Этот запрос подали вы? Пока вы не ответите, ничего не записывается.",
        "confirm.yes": "Да, это мой запрос",
        "confirm.no": "Нет, я этого не просил(а)",
        "confirm.hint": "Если кто-то прислал вам эту ссылку и попросил «подтвердить», нажмите «Нет».",
        "declined.title": "Ничего не записано",
        "declined": "Спасибо. Ваша личность не привязана к этому запросу, наши сотрудники проверят его. "
        "Больше ничего делать не нужно.",
        "chat.declined": "Личность не подтверждена через eID. Можете выбрать другой способ.",
        "other_browser": "Этот вход был начат в другом браузере. Откройте ссылку из нашего письма в этом "
        "браузере и начните заново.",
        "confirm_expired": "Эта страница подтверждения устарела или уже использована; ничего не записано. "
        "Запросите новую ссылку и войдите снова.",
        "channel.email": "по электронной почте",
        "channel.telegram": "в чате Telegram",
        "channel.in_person": "в магазине",
        "channel.staff": "через наших сотрудников",
        "plain.access": "копия ваших данных",
        "plain.rectification": "исправление ваших данных",
        "plain.erasure": "удаление ваших данных",
        "plain.restriction": "ограничение обработки ваших данных",
        "plain.portability": "ваши данные для переноса",
        "plain.objection": "возражение против обработки ваших данных",
        "plain.marketing_objection": "прекращение рекламы",
        "plain.consent_withdrawal": "отзыв вашего согласия",
    },
}


_OWN_KEYS = frozenset({"verified", "stale_login", "cancelled", "provider", "rejected", "needs_staff", "closed",
                       "state", "declined", "other_browser", "confirm_expired"})
_NO_NEXT_STEP = frozenset({"needs_staff", "closed", "declined", "confirm_expired", "other_browser"})


def text_key(problem: str | None) -> str:
    """The text for a callback problem: a login without a fresh ``auth_time`` reads as a
    reused session; every other ID token check as "could not be checked"."""
    if problem is None:
        return "verified"
    if problem == "auth_time_missing":
        return "stale_login"
    return problem if problem in _OWN_KEYS else "token"


def language_of(value: str | None) -> str:
    return value if value in _TEXT else "lv"


def say(language: str, key: str, **values: object) -> str:
    template = _TEXT[language_of(language)].get(key) or _TEXT["lv"][key]
    return template.format(**values) if values else template


def rights_text(language: str, rights: Iterable[str]) -> str:
    """The rights as the chat names them (its ``right.*`` labels), in a stable order."""
    return ", ".join(texts.text(language_of(language), f"right.{right}") for right in sorted(rights)).lower()


def chat_message(language: str, problem: str, reference: str, rights: Iterable[str]) -> str:
    """The chat's message for an outcome: ``verified`` or a callback problem."""
    problem = text_key(None if problem == "verified" else problem)
    if problem == "verified":
        return say(language, "chat.verified", reference=reference, rights=rights_text(language, rights))
    if problem == "declined":  # neutral: whoever holds the chat learns nothing of the answer
        return f"{say(language, 'chat.declined')}\n{say(language, 'failed.reference', reference=reference)}"
    return f"{say(language, problem)}\n{say(language, 'failed.reference', reference=reference)}"


def page(language: str | None, problem: str, *, reference: str | None, rights: Iterable[str],
         web: bool) -> tuple[str, str]:
    """(title, HTML body) of the callback's page. Without a known login (``language`` None)
    the page is in all three languages, since nothing says which one the person reads."""
    problem = text_key(None if problem == "verified" else problem)
    languages = [language_of(language)] if language else list(LANGUAGES)
    rights = tuple(rights)
    titles, paragraphs = [], []
    for lang in languages:
        where = "web" if web else "chat"
        if problem == "verified":
            titles.append(say(lang, "verified.title"))
            paragraphs.append(say(lang, "verified.body", reference=reference, rights=rights_text(lang, rights)))
            paragraphs.append(say(lang, f"verified.next.{where}"))
            # Whoever was phished into logging in for someone else's request learns it here.
            paragraphs.append(say(lang, "verified.not_you"))
            continue
        titles.append(say(lang, "declined.title" if problem == "declined" else "failed.title"))
        paragraphs.append(say(lang, problem))
        if reference and problem != "declined":
            paragraphs.append(say(lang, "failed.reference", reference=reference))
        if problem not in _NO_NEXT_STEP:
            paragraphs.append(say(lang, f"next.{where}") if language else say(lang, "next.chat"))
    title = " / ".join(titles)
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return title, body


def plain_rights(language: str, rights: Iterable[str]) -> str:
    """The rights in plain words for the confirmation page (e.g. "erasure of your data")."""
    lang = language_of(language)
    return ", ".join(say(lang, f"plain.{right}") if f"plain.{right}" in _TEXT[lang] else right
                     for right in sorted(rights))


def confirmation_page(language: str | None, *, reference: str, rights: Iterable[str], channel: str,
                      received_on: date, name: str | None, token: str, action: str) -> tuple[str, str]:
    """(title, HTML body) of "Is this your request?": the request in plain words, the name
    the person logged in with (never the personal code) and a form with two buttons whose
    hidden ``token`` is the single-use CSRF token of the pending login."""
    lang = language_of(language)
    channel_key = f"channel.{channel}"
    where = say(lang, channel_key) if channel_key in _TEXT[lang] else ""
    who = say(lang, "confirm.who", name=name) if name else say(lang, "confirm.who.unnamed")
    paragraphs = [
        who,
        say(lang, "confirm.request", reference=reference, received=received_on.strftime("%d.%m.%Y"),
            channel=where, rights=plain_rights(lang, rights)).replace("  ", " "),
        say(lang, "confirm.question"),
    ]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    body += (
        f"<form method='post' action='{escape(action)}'>"
        f"<input type='hidden' name='token' value='{escape(token)}'>"
        f"<p><button type='submit' name='answer' value='yes'>{escape(say(lang, 'confirm.yes'))}</button></p>"
        f"<p><button type='submit' name='answer' value='no'>{escape(say(lang, 'confirm.no'))}</button></p>"
        "</form>"
        f"<p>{escape(say(lang, 'confirm.hint'))}</p>"
    )
    return say(lang, "confirm.title"), body
