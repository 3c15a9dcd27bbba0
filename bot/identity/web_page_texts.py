# ruff: noqa: E501  (wording tables: one sentence per line reads and diffs better than wrapped)
"""What the request's identity page says, in Latvian, English and Russian.

Every outcome is one plain sentence of what happened and one of what to do next. The page
names the request's reference and nothing else about the person (no name, no address, no
personal code): whoever holds the link learns nothing they did not already know. Latvian is
the default (Official Language Law).
"""

from __future__ import annotations

LANGUAGES = ("lv", "en", "ru")
DEFAULT_LANGUAGE = "lv"

_TEXT: dict[str, dict[str, str]] = {
    "lv": {
        "title": "Identitātes apstiprināšana",
        "intro": "Šeit varat apstiprināt, ka pieprasījumu {reference} iesniedzāt Jūs. Kamēr to nedarāt, Jūsu pieprasījums paliek reģistrēts, un termiņš turpina ritēt.",
        "choose": "Izvēlieties veidu:",
        "eid.button": "Pieslēgties ar eID (eParaksts mobile, Smart-ID, eID karte)",
        "code.button": "Sūtīt vienreizējo kodu uz mūsu rīcībā esošo kontaktu",
        "code.explain": "Kodu nosūtīsim tikai uz e-pasta adresi vai tālruņa numuru, kas mums jau ir par Jums. Citu adresi šeit norādīt nevar.",
        "code.label": "Vienreizējais kods",
        "code.check": "Apstiprināt",
        "code.resend": "Sūtīt jaunu kodu",
        "code_sent.maybe": "Ja mūsu rīcībā ir e-pasta adrese vai tālruņa numurs personai, par kuru ir šis pieprasījums, nosūtījām uz to kodu. Tas derīgs 10 minūtes; ievadiet to zemāk. Ja kods nepienāk, izvēlieties citu veidu, kas minēts mūsu vēstulē.",
        "code_sent.email": "Nosūtījām kodu uz mūsu rīcībā esošo e-pasta adresi. Tas derīgs līdz {until}; ievadiet to zemāk.",
        "code_sent.sms": "Nosūtījām kodu īsziņā uz mūsu rīcībā esošo tālruņa numuru. Tas derīgs līdz {until}; ievadiet to zemāk.",
        "verified": "Paldies, Jūsu identitāte pieprasījumam {reference} ir apstiprināta. Varat aizvērt šo lapu; atbildi saņemsiet pa e-pastu.",
        "not_needed": "Identitāte pieprasījumam {reference} jau ir apstiprināta. Nekas vairs nav jādara; atbildi saņemsiet pa e-pastu.",
        "closed": "Pieprasījums {reference} jau ir noslēgts. Ja vēlaties ko jaunu, rakstiet mums vēlreiz.",
        "code_wrong": "Kods nav pareizs. Pārbaudiet to un mēģiniet vēlreiz (atlikuši mēģinājumi: {attempts_left}).",
        "code_wrong.last": "Kods nav pareizs. Pieprasiet jaunu kodu.",
        "not_a_code": "Ievadiet kodu tā, kā tas ir vēstulē: {digits} cipari.",
        "code_expired": "Šim pieprasījumam nav derīga koda (tas ir novecojis vai jau izmantots). Pieprasiet jaunu kodu.",
        "locked": "Pārāk daudz nepareizu kodu. Mēģiniet vēlreiz pēc {retry_after} vai izvēlieties citu veidu, kas minēts mūsu vēstulē.",
        "rate_limited": "Pārāk daudz kodu pieprasīts. Mēģiniet vēlreiz pēc {retry_after} vai izvēlieties citu veidu, kas minēts mūsu vēstulē.",
        "no_contact": "Mēs neatradām vienu klientu ar e-pasta adresi vai tālruņa numuru, uz kuru varētu nosūtīt kodu. Izvēlieties citu veidu, kas minēts mūsu vēstulē.",
        "insufficient": "Šim pieprasījumam ar vienreizējo kodu nepietiek. Pieslēdzieties ar eID vai izvēlieties citu veidu, kas minēts mūsu vēstulē.",
        "unavailable": "Šis pakalpojums pašlaik nav pieejams. Mēģiniet vēlāk vai izvēlieties citu veidu, kas minēts mūsu vēstulē.",
        "no_route": "Šajā lapā šim pieprasījumam apstiprināšanas veida nav. Izvēlieties citu veidu, kas minēts mūsu vēstulē.",
        "link_invalid": "Šī saite nav derīga: tā ir nepilnīga vai mainīta. Atveriet saiti tieši no mūsu vēstules; ja tā nedarbojas, atbildiet uz vēstuli.",
        "link_expired": "Šīs saites derīguma termiņš ir beidzies. Atbildiet uz mūsu vēstuli, norādot pieprasījuma numuru, un mēs nosūtīsim jaunu saiti, vai izvēlieties citu vēstulē minēto veidu.",
        "form_expired": "Veidlapa ir novecojusi. Atveriet saiti no mūsu vēstules vēlreiz un mēģiniet vēlreiz.",
        "not_found": "Šāds pieprasījums nav atrasts. Atbildiet uz mūsu vēstuli, norādot pieprasījuma numuru.",
    },
    "en": {
        "title": "Confirming your identity",
        "intro": "Here you can confirm that request {reference} comes from you. Until you do, your request stays registered and its deadline keeps running.",
        "choose": "Choose a way:",
        "eid.button": "Log in with eID (eParaksts mobile, Smart-ID, eID card)",
        "code.button": "Send a one-time code to the contact we hold",
        "code.explain": "We send the code only to the e-mail address or phone number we already hold for you. No other address can be given here.",
        "code.label": "One-time code",
        "code.check": "Confirm",
        "code.resend": "Send a new code",
        "code_sent.maybe": "If there is an e-mail address or phone number we hold for you, we sent a code there. It works for 10 minutes; enter it below. If no code arrives, choose another way named in our letter.",
        "code_sent.email": "We sent a code to the e-mail address we hold for you. It works until {until}; enter it below.",
        "code_sent.sms": "We sent a code by text message to the phone number we hold for you. It works until {until}; enter it below.",
        "verified": "Thank you, your identity for request {reference} is confirmed. You can close this page; the answer comes by e-mail.",
        "not_needed": "Your identity for request {reference} is already confirmed. There is nothing more to do; the answer comes by e-mail.",
        "closed": "Request {reference} is already closed. If you want something new, write to us again.",
        "code_wrong": "The code is not correct. Check it and try again ({attempts_left} tries left).",
        "code_wrong.last": "The code is not correct. Ask for a new code.",
        "not_a_code": "Enter the code as it is in the message: {digits} digits.",
        "code_expired": "There is no valid code for this request (it expired or was used). Ask for a new code.",
        "locked": "Too many wrong codes. Try again after {retry_after}, or choose another way named in our letter.",
        "rate_limited": "Too many codes were asked for. Try again after {retry_after}, or choose another way named in our letter.",
        "no_contact": "We could not find one customer with an e-mail address or phone number to send a code to. Choose another way named in our letter.",
        "insufficient": "A one-time code is not enough for this request. Log in with eID or choose another way named in our letter.",
        "unavailable": "This service is not available now. Try later, or choose another way named in our letter.",
        "no_route": "This page offers no way to confirm this request. Choose another way named in our letter.",
        "link_invalid": "This link is not valid: it is incomplete or was changed. Open the link straight from our letter; if it does not work, reply to the letter.",
        "link_expired": "This link has expired. Reply to our letter quoting the request number and we will send a new link, or choose another way named in the letter.",
        "form_expired": "The form has expired. Open the link in our letter again and retry.",
        "not_found": "No such request was found. Reply to our letter quoting the request number.",
    },
    "ru": {
        "title": "Подтверждение личности",
        "intro": "Здесь Вы можете подтвердить, что запрос {reference} подали Вы. Пока Вы этого не сделали, запрос остаётся зарегистрированным, а срок продолжает идти.",
        "choose": "Выберите способ:",
        "eid.button": "Войти через eID (eParaksts mobile, Smart-ID, eID-карта)",
        "code.button": "Отправить одноразовый код на имеющийся у нас контакт",
        "code.explain": "Мы отправляем код только на адрес e-mail или номер телефона, которые у нас уже есть. Указать здесь другой адрес нельзя.",
        "code.label": "Одноразовый код",
        "code.check": "Подтвердить",
        "code.resend": "Отправить новый код",
        "code_sent.maybe": "Если у нас есть адрес e-mail или номер телефона лица, о котором этот запрос, мы отправили туда код. Он действует 10 минут; введите его ниже. Если код не пришёл, выберите другой способ, указанный в нашем письме.",
        "code_sent.email": "Мы отправили код на имеющийся у нас адрес e-mail. Он действует до {until}; введите его ниже.",
        "code_sent.sms": "Мы отправили код SMS на имеющийся у нас номер телефона. Он действует до {until}; введите его ниже.",
        "verified": "Спасибо, Ваша личность для запроса {reference} подтверждена. Можете закрыть эту страницу; ответ придёт по электронной почте.",
        "not_needed": "Личность для запроса {reference} уже подтверждена. Больше ничего делать не нужно; ответ придёт по электронной почте.",
        "closed": "Запрос {reference} уже закрыт. Если Вам нужно что-то новое, напишите нам снова.",
        "code_wrong": "Код неверен. Проверьте его и попробуйте снова (осталось попыток: {attempts_left}).",
        "code_wrong.last": "Код неверен. Запросите новый код.",
        "not_a_code": "Введите код так, как он указан в сообщении: {digits} цифр.",
        "code_expired": "Для этого запроса нет действующего кода (срок истёк или код уже использован). Запросите новый код.",
        "locked": "Слишком много неверных кодов. Попробуйте снова после {retry_after} или выберите другой способ из нашего письма.",
        "rate_limited": "Запрошено слишком много кодов. Попробуйте снова после {retry_after} или выберите другой способ из нашего письма.",
        "no_contact": "Мы не нашли одного клиента с адресом e-mail или номером телефона, на который можно отправить код. Выберите другой способ из нашего письма.",
        "insufficient": "Для этого запроса одноразового кода недостаточно. Войдите через eID или выберите другой способ из нашего письма.",
        "unavailable": "Сервис сейчас недоступен. Попробуйте позже или выберите другой способ из нашего письма.",
        "no_route": "На этой странице нет способа подтвердить этот запрос. Выберите другой способ из нашего письма.",
        "link_invalid": "Эта ссылка недействительна: она неполная или изменена. Откройте ссылку прямо из нашего письма; если она не работает, ответьте на письмо.",
        "link_expired": "Срок действия этой ссылки истёк. Ответьте на наше письмо, указав номер запроса, и мы пришлём новую ссылку, или выберите другой способ из письма.",
        "form_expired": "Форма устарела. Откройте ссылку из нашего письма ещё раз и повторите.",
        "not_found": "Такой запрос не найден. Ответьте на наше письмо, указав номер запроса.",
    },
}


def page_language(wanted: str | None, fallback: str | None = None) -> str:
    """``wanted`` when it is one of ours, else ``fallback`` (the request's), else Latvian."""
    for candidate in (wanted, fallback):
        if candidate in LANGUAGES:
            return str(candidate)
    return DEFAULT_LANGUAGE


def say(language: str, key: str, **values: object) -> str:
    """The sentence ``key`` in ``language`` (Latvian when missing), with ``values`` filled in."""
    table = _TEXT.get(language, _TEXT[DEFAULT_LANGUAGE])
    text = table.get(key) or _TEXT[DEFAULT_LANGUAGE][key]
    return text.format(**values) if values else text
