"""Everything the bot says, in Latvian, English and Russian.

Latvian is the default and always complete (Official Language Law); Russian is used when
the person's Telegram is set to Russian or they choose it (docs/law.md §Language: Russian
on the person's explicit request, a configuration item). Texts never contain personal data
beyond what the person typed into this chat themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

LANGUAGES: tuple[str, ...] = ("lv", "en", "ru")
DEFAULT_LANGUAGE = "lv"
LANGUAGE_NAMES: Mapping[str, str] = {"lv": "Latviešu", "en": "English", "ru": "Русский"}

_LV: dict[str, str] = {
    "welcome": "Labdien! Šeit varat iesniegt pieprasījumu par saviem personas datiem (VDAR).\n"
    "Izvēlieties vienu vai vairākas iespējas un spiediet «Turpināt» — vai vienkārši uzrakstiet, ko vēlaties.",
    "privacy": "Privātuma politika: {url}",
    "choose_rights": "Ko vēlaties? Izvēlieties un spiediet «Turpināt».",
    "rights_none": "Izvēlieties vismaz vienu iespēju vai uzrakstiet, ko vēlaties.",
    "rights_unclear": "Nesapratu, ko vēlaties. Lūdzu, izvēlieties ar pogām.",
    "ask.rectification": "Kas ir jālabo? Uzrakstiet, kuri dati ir nepareizi un kādiem tiem jābūt.",
    "ask.access": "Kurus datus vēlaties saņemt? Spiediet «Visus datus» vai uzrakstiet.",
    "ask.portability": "Kurus datus vēlaties saņemt pārnešanai? Spiediet «Visus datus» vai uzrakstiet.",
    "ask.erasure": "Kurus datus dzēst? Spiediet «Visus datus» vai uzrakstiet.",
    "ask.restriction": "Kuru datu apstrādi ierobežot un kāpēc?",
    "ask.objection": "Pret kuru apstrādi iebilstat un kāpēc (Jūsu īpašā situācija)?",
    "ask.marketing_objection": "Kādu reklāmas saziņu pārtraukt?",
    "ask.consent_withdrawal": "Kuru piekrišanu atsaucat? Spiediet «Visas» vai uzrakstiet.",
    "ask_contact": "Kādu e-pasta adresi vai tālruņa numuru izmantojat saziņā ar mums? Tas palīdzēs atrast "
    "Jūsu datus. Varat arī izlaist.",
    "contact_invalid": "Tā nav e-pasta adrese vai tālruņa numurs. Mēģiniet vēlreiz vai spiediet «Izlaist».",
    "summary": "Lūdzu, pārbaudiet:\n{lines}\n\nVai iesniegt pieprasījumu?",
    "summary.rights": "Pieprasījums: {value}",
    "summary.contact": "Kontakts: {value}",
    "registered": "Pieprasījums reģistrēts. Numurs: {reference}.\nAtbildēsim ne vēlāk kā {due}.",
    "verify_needed": "Lai izpildītu pieprasījumu, jāapstiprina Jūsu identitāte. Izvēlieties veidu:",
    "verify_not_needed": "Identitātes apstiprināšana nav vajadzīga — sākam darbu.",
    "route.otc": "Kods uz e-pastu vai tālruni",
    "route.eid": "eParaksts vai Smart-ID",
    "route.doc": "Parakstīts dokuments",
    "route.shop": "Veikalā ar personas dokumentu",
    "code_sent.email": "Nosūtījām 6 ciparu kodu uz Jūsu e-pastu, kas ir mūsu rīcībā. Ierakstiet to šeit "
    "(derīgs 10 minūtes).",
    "code_sent.sms": "Nosūtījām 6 ciparu kodu uz Jūsu tālruni, kas ir mūsu rīcībā. Ierakstiet to šeit "
    "(derīgs 10 minūtes).",
    "code_wrong": "Kods nav pareizs. Atlikuši mēģinājumi: {left}.",
    "code_expired": "Kods vairs nav derīgs. Pieprasiet jaunu kodu.",
    "code_locked": "Pārāk daudz nepareizu kodu. Izvēlieties citu veidu vai mēģiniet vēlāk.",
    "rate_limited": "Pārāk daudz mēģinājumu. Lūdzu, mēģiniet vēlāk.",
    "no_contact": "Neatradām Jūsu kontaktu mūsu datos. Lūdzu, izvēlieties citu veidu.",
    "eid_link": "Atveriet šo vienreizējo saiti un piesakieties ar eParaksts vai Smart-ID (tiks prasīta jauna "
    "pieteikšanās). Lapā redzēsiet, kurš pieprasījums tiek apstiprināts; apstipriniet tikai savu:\n{url}",
    "doc_prompt": "Nosūtiet šeit ar kvalificētu elektronisko parakstu parakstītu dokumentu "
    "(.edoc, .asice vai PDF), kurā pieprasījumu parakstījāt Jūs.\nTam jābūt paša šī pieprasījuma tekstam, "
    "parakstītam nesen, kurā minēts mūsu uzņēmums vai pieprasījuma numurs.",
    "shop_visit": "Apmeklējiet {places} ar personu apliecinošu dokumentu un nosauciet pieprasījuma numuru {reference}.",
    "shop_any": "jebkuru mūsu veikalu",
    "verified": "Paldies, Jūsu identitāte ir apstiprināta.",
    "rejected": "Identitāti apstiprināt neizdevās. Varat izvēlēties citu veidu.",
    "needs_staff": "Paldies! Mūsu darbinieki pārbaudīs iesniegto un sazināsies ar Jums.",
    "insufficient": "Šim pieprasījumam šis veids nav pietiekams. Izvēlieties citu.",
    "route_unavailable": "Šis veids pašlaik nav pieejams. Lūdzu, izvēlieties citu vai mēģiniet vēlāk.",
    "request_closed": "Šis pieprasījums jau ir noslēgts.",
    "status_none": "Jums vēl nav pieprasījumu. Lai iesniegtu, rakstiet /start.",
    "status_head": "Jūsu pieprasījumi:",
    "status_line": "{reference}: {rights} — {state}, termiņš {due}",
    "cancel_flow": "Atcelts. Nekas netika iesniegts.",
    "cancel_nothing": "Nav nekā, ko atcelt.",
    "withdraw_offer": "Kuru pieprasījumu atsaukt?",
    "withdrawn": "Pieprasījums {reference} atsaukts.",
    "withdraw_impossible": "Pieprasījumu {reference} vairs nevar atsaukt.",
    "help": "Komandas:\n/start — iesniegt pieprasījumu par saviem datiem\n/status — pieprasījumu statuss\n"
    "/cancel — atcelt vai atsaukt pieprasījumu\n/language — mainīt valodu\n/privacy — privātuma politika\n"
    "/help — palīdzība",
    "unknown_command": "Šādu komandu nezinu.",
    "stray": "Lai iesniegtu pieprasījumu, rakstiet /start. Statuss: /status. Palīdzība: /help.",
    "use_buttons": "Lūdzu, izmantojiet pogas zem iepriekšējās ziņas vai rakstiet /cancel.",
    "flood": "Pārāk daudz ziņu īsā laikā. Brīdi uzgaidiet — pagaidām neatbildēšu.",
    "file_too_big": "Fails ir pārāk liels (ne vairāk kā {limit} MB).",
    "file_unexpected": "Failus pieņemu tikai identitātes apstiprināšanai ar parakstītu dokumentu.",
    "language_choose": "Izvēlieties valodu:",
    "language_set": "Turpmāk rakstīšu latviski.",
    "notify_state": "Pieprasījums {reference}: {state}.",
    "error": "Atvainojiet, radās kļūda. Lūdzu, mēģiniet vēlreiz vēlāk.",
    "btn.continue": "Turpināt",
    "btn.all": "Visus datus",
    "btn.all_consents": "Visas",
    "btn.skip": "Izlaist",
    "btn.confirm": "Iesniegt",
    "btn.restart": "Sākt no jauna",
    "btn.cancel": "Atcelt",
    "btn.new_code": "Jauns kods",
    "mkt.email": "E-pasts",
    "mkt.sms": "SMS",
    "mkt.phone": "Tālruņa zvani",
    "mkt.post": "Pasts",
    "mkt.all": "Visa reklāmas saziņa",
    "right.access": "Piekļūt saviem datiem",
    "right.rectification": "Labot datus",
    "right.erasure": "Dzēst datus",
    "right.restriction": "Ierobežot apstrādi",
    "right.portability": "Saņemt datus pārnešanai",
    "right.objection": "Iebilst pret apstrādi",
    "right.marketing_objection": "Pārtraukt reklāmas",
    "right.consent_withdrawal": "Atsaukt piekrišanu",
    "state.received": "saņemts",
    "state.awaiting_identity": "gaida identitātes apstiprinājumu",
    "state.in_progress": "tiek izpildīts",
    "state.awaiting_approval": "tiek izskatīts",
    "state.completed": "izpildīts",
    "state.refused": "atteikts",
    "state.withdrawn": "atsaukts",
    # Private chats only, buttons bound to their request, the code step.
    "private_only": "Labdien! Es strādāju tikai privātā sarunā, lai neviens cits neredzētu Jūsu datus. "
    "Lai iesniegtu pieprasījumu par saviem personas datiem, rakstiet man tieši: {link}. "
    "Lūdzu, nerakstiet personas datus šeit.",
    "private_only.button": "Es strādāju tikai privātā sarunā: rakstiet man tieši.",
    "button_other_request": "Šī poga attiecas uz citu pieprasījumu. Jūsu pašreizējais pieprasījums ir {reference}: "
    "lūdzu, izmantojiet pogas zem pēdējās ziņas.",
    "button_other_request.draft": "Šī poga attiecas uz citu pieprasījumu. Jūs pašlaik aizpildāt jaunu pieprasījumu: "
    "turpiniet ar pogām zem pēdējās ziņas vai rakstiet /cancel.",
    "button_other_request.none": "Šī poga vairs nav derīga. Jūsu pieprasījumi: /status.",
    "code_hint": "Tas neizskatās pēc koda: kodā ir {digits} cipari, piemēram, 123 456. Ierakstiet kodu no mūsu "
    "ziņas vai izvēlieties zemāk.",
    "code_new": "Iepriekšējais kods vairs nav derīgs.",
    "code_paused": "Pārāk daudz nepareizu kodu. Kodu varēsiet ievadīt atkal {when}. "
    "Varat arī apstiprināt identitāti citā veidā:",
    "checks_later": "Pārāk daudz mēģinājumu. Kodu varēsiet ievadīt atkal {when}. "
    "Varat arī apstiprināt identitāti citā veidā:",
    "code_send_later": "Kodu jau lūdzāt vairākas reizes. Jaunu kodu varēsiet lūgt {when}. "
    "Varat arī apstiprināt identitāti citā veidā:",
    "no_code_help": "Kods parasti pienāk dažu minūšu laikā; pārbaudiet arī mēstuļu (spam) mapi. Varat lūgt kodu "
    "vēlreiz vai apstiprināt identitāti citā veidā:",
    "when.time": "plkst. {time}",
    "when.date_time": "{date} plkst. {time}",
    "btn.resend_code": "Sūtīt kodu vēlreiz",
    "btn.no_code": "Kodu nesaņēmu",
}

_EN: dict[str, str] = {
    "welcome": "Hello! Here you can make a request about your personal data (GDPR).\n"
    "Choose one or more options and press “Continue” — or just write what you want.",
    "privacy": "Privacy notice: {url}",
    "choose_rights": "What would you like? Choose and press “Continue”.",
    "rights_none": "Choose at least one option, or write what you want.",
    "rights_unclear": "I did not understand what you want. Please choose with the buttons.",
    "ask.rectification": "What needs correcting? Write which data are wrong and what they should be.",
    "ask.access": "Which data would you like? Press “All data” or write.",
    "ask.portability": "Which data would you like to take elsewhere? Press “All data” or write.",
    "ask.erasure": "Which data should we erase? Press “All data” or write.",
    "ask.restriction": "Which processing should we restrict, and why?",
    "ask.objection": "Which processing do you object to, and why (your particular situation)?",
    "ask.marketing_objection": "Which marketing should stop?",
    "ask.consent_withdrawal": "Which consent do you withdraw? Press “All” or write.",
    "ask_contact": "Which e-mail address or phone number do you use with us? It helps us find your data. "
    "You may skip this.",
    "contact_invalid": "That is not an e-mail address or phone number. Try again or press “Skip”.",
    "summary": "Please check:\n{lines}\n\nSubmit the request?",
    "summary.rights": "Request: {value}",
    "summary.contact": "Contact: {value}",
    "registered": "Your request is registered. Reference: {reference}.\nWe will answer by {due} at the latest.",
    "verify_needed": "To carry out the request we need to confirm who you are. Choose a way:",
    "verify_not_needed": "No identity check is needed — we are starting work.",
    "route.otc": "Code to my e-mail or phone",
    "route.eid": "eParaksts or Smart-ID",
    "route.doc": "Signed document",
    "route.shop": "At a shop with an ID document",
    "code_sent.email": "We sent a 6-digit code to the e-mail address we have on file. Type it here "
    "(valid for 10 minutes).",
    "code_sent.sms": "We sent a 6-digit code to the phone number we have on file. Type it here (valid for 10 minutes).",
    "code_wrong": "That code is not right. Attempts left: {left}.",
    "code_expired": "The code is no longer valid. Ask for a new code.",
    "code_locked": "Too many wrong codes. Choose another way or try later.",
    "rate_limited": "Too many attempts. Please try again later.",
    "no_contact": "We could not find your contact details in our records. Please choose another way.",
    "eid_link": "Open this one-time link and sign in with eParaksts or Smart-ID (you will be asked to log in "
    "afresh). The page will show which request you are confirming; confirm it only if it is yours:\n{url}",
    "doc_prompt": "Send here a document signed with a qualified electronic signature (.edoc, .asice or PDF) "
    "in which you signed your request.\nIt must be the text of this request itself, signed recently, naming our "
    "company or the request number.",
    "shop_visit": "Visit {places} with an identity document and give the reference {reference}.",
    "shop_any": "any of our shops",
    "verified": "Thank you, your identity is confirmed.",
    "rejected": "We could not confirm your identity. You may choose another way.",
    "needs_staff": "Thank you! Our staff will check what you sent and contact you.",
    "insufficient": "This way is not strong enough for this request. Please choose another.",
    "route_unavailable": "This way is not available right now. Please choose another or try later.",
    "request_closed": "This request is already closed.",
    "status_none": "You have no requests yet. To make one, send /start.",
    "status_head": "Your requests:",
    "status_line": "{reference}: {rights} — {state}, due {due}",
    "cancel_flow": "Cancelled. Nothing was submitted.",
    "cancel_nothing": "There is nothing to cancel.",
    "withdraw_offer": "Which request do you want to withdraw?",
    "withdrawn": "Request {reference} is withdrawn.",
    "withdraw_impossible": "Request {reference} can no longer be withdrawn.",
    "help": "Commands:\n/start — make a request about your data\n/status — state of your requests\n"
    "/cancel — cancel or withdraw a request\n/language — change language\n/privacy — privacy notice\n/help — help",
    "unknown_command": "I do not know that command.",
    "stray": "To make a request, send /start. State of your requests: /status. Help: /help.",
    "use_buttons": "Please use the buttons under the previous message, or send /cancel.",
    "flood": "Too many messages at once. Please wait a moment — I will not answer for now.",
    "file_too_big": "The file is too large (at most {limit} MB).",
    "file_unexpected": "I accept files only to confirm identity with a signed document.",
    "language_choose": "Choose a language:",
    "language_set": "I will write in English from now on.",
    "notify_state": "Request {reference}: {state}.",
    "error": "Sorry, something went wrong. Please try again later.",
    "btn.continue": "Continue",
    "btn.all": "All data",
    "btn.all_consents": "All",
    "btn.skip": "Skip",
    "btn.confirm": "Submit",
    "btn.restart": "Start again",
    "btn.cancel": "Cancel",
    "btn.new_code": "New code",
    "mkt.email": "E-mail",
    "mkt.sms": "SMS",
    "mkt.phone": "Phone calls",
    "mkt.post": "Post",
    "mkt.all": "All marketing",
    "right.access": "See my data",
    "right.rectification": "Correct my data",
    "right.erasure": "Erase my data",
    "right.restriction": "Restrict processing",
    "right.portability": "Take my data elsewhere",
    "right.objection": "Object to processing",
    "right.marketing_objection": "Stop marketing",
    "right.consent_withdrawal": "Withdraw consent",
    "state.received": "received",
    "state.awaiting_identity": "waiting for identity confirmation",
    "state.in_progress": "in progress",
    "state.awaiting_approval": "under review",
    "state.completed": "completed",
    "state.refused": "refused",
    "state.withdrawn": "withdrawn",
    # Private chats only, buttons bound to their request, the code step.
    "private_only": "Hello! I work only in a private chat, so that nobody else sees your data. "
    "To make a request about your personal data, write to me directly: {link}. "
    "Please do not post personal data here.",
    "private_only.button": "I work only in a private chat: please write to me directly.",
    "button_other_request": "This button is for another request. Your current request is {reference}: "
    "please use the buttons under the latest message.",
    "button_other_request.draft": "This button is for another request. You are filling in a new request now: "
    "carry on with the buttons under the latest message, or send /cancel.",
    "button_other_request.none": "This button is no longer valid. Your requests: /status.",
    "code_hint": "That does not look like the code: it has {digits} digits, e.g. 123 456. Type the code from our "
    "message, or choose below.",
    "code_new": "The previous code no longer works.",
    "code_paused": "Too many wrong codes. You can enter a code again {when}. "
    "You may also confirm who you are another way:",
    "checks_later": "Too many attempts. You can enter a code again {when}. "
    "You may also confirm who you are another way:",
    "code_send_later": "You have asked for a code several times already. You can ask for a new one {when}. "
    "You may also confirm who you are another way:",
    "no_code_help": "A code usually arrives within a few minutes; please check your spam folder too. You can ask "
    "for the code again or confirm who you are another way:",
    "when.time": "at {time}",
    "when.date_time": "on {date} at {time}",
    "btn.resend_code": "Resend code",
    "btn.no_code": "I didn't get it",
}

_RU: dict[str, str] = {
    "welcome": "Здравствуйте! Здесь можно подать запрос о своих персональных данных (GDPR).\n"
    "Выберите один или несколько вариантов и нажмите «Продолжить» — или просто напишите, что вы хотите.",
    "privacy": "Политика конфиденциальности: {url}",
    "choose_rights": "Что вы хотите? Выберите и нажмите «Продолжить».",
    "rights_none": "Выберите хотя бы один вариант или напишите, что вы хотите.",
    "rights_unclear": "Я не понял, что вы хотите. Пожалуйста, выберите кнопкой.",
    "ask.rectification": "Что нужно исправить? Напишите, какие данные неверны и какими они должны быть.",
    "ask.access": "Какие данные вы хотите получить? Нажмите «Все данные» или напишите.",
    "ask.portability": "Какие данные вы хотите получить для переноса? Нажмите «Все данные» или напишите.",
    "ask.erasure": "Какие данные удалить? Нажмите «Все данные» или напишите.",
    "ask.restriction": "Обработку каких данных ограничить и почему?",
    "ask.objection": "Против какой обработки вы возражаете и почему (ваша особая ситуация)?",
    "ask.marketing_objection": "Какие рекламные сообщения прекратить?",
    "ask.consent_withdrawal": "Какое согласие вы отзываете? Нажмите «Все» или напишите.",
    "ask_contact": "Какой адрес e-mail или номер телефона вы используете для связи с нами? Это поможет найти "
    "ваши данные. Можно пропустить.",
    "contact_invalid": "Это не адрес e-mail и не номер телефона. Попробуйте ещё раз или нажмите «Пропустить».",
    "summary": "Пожалуйста, проверьте:\n{lines}\n\nПодать запрос?",
    "summary.rights": "Запрос: {value}",
    "summary.contact": "Контакт: {value}",
    "registered": "Запрос зарегистрирован. Номер: {reference}.\nМы ответим не позднее {due}.",
    "verify_needed": "Чтобы выполнить запрос, нужно подтвердить вашу личность. Выберите способ:",
    "verify_not_needed": "Подтверждение личности не требуется — мы приступаем к работе.",
    "route.otc": "Код на e-mail или телефон",
    "route.eid": "eParaksts или Smart-ID",
    "route.doc": "Подписанный документ",
    "route.shop": "В магазине с документом",
    "code_sent.email": "Мы отправили 6-значный код на ваш e-mail, который есть в наших данных. Введите его здесь "
    "(действует 10 минут).",
    "code_sent.sms": "Мы отправили 6-значный код на ваш телефон, который есть в наших данных. Введите его здесь "
    "(действует 10 минут).",
    "code_wrong": "Код неверный. Осталось попыток: {left}.",
    "code_expired": "Код больше не действует. Запросите новый код.",
    "code_locked": "Слишком много неверных кодов. Выберите другой способ или попробуйте позже.",
    "rate_limited": "Слишком много попыток. Пожалуйста, попробуйте позже.",
    "no_contact": "Мы не нашли ваши контактные данные. Пожалуйста, выберите другой способ.",
    "eid_link": "Откройте эту одноразовую ссылку и войдите с eParaksts или Smart-ID (потребуется войти "
    "заново). На странице будет видно, какой запрос вы подтверждаете; подтверждайте только свой:\n{url}",
    "doc_prompt": "Отправьте сюда документ, подписанный квалифицированной электронной подписью "
    "(.edoc, .asice или PDF), в котором вы подписали свой запрос.\nЭто должен быть сам текст этого запроса, "
    "подписанный недавно, с названием нашей компании или номером запроса.",
    "shop_visit": "Посетите {places} с документом, удостоверяющим личность, и назовите номер запроса {reference}.",
    "shop_any": "любой наш магазин",
    "verified": "Спасибо, ваша личность подтверждена.",
    "rejected": "Подтвердить личность не удалось. Вы можете выбрать другой способ.",
    "needs_staff": "Спасибо! Наши сотрудники проверят присланное и свяжутся с вами.",
    "insufficient": "Для этого запроса этого способа недостаточно. Выберите другой.",
    "route_unavailable": "Этот способ сейчас недоступен. Выберите другой или попробуйте позже.",
    "request_closed": "Этот запрос уже закрыт.",
    "status_none": "У вас пока нет запросов. Чтобы подать запрос, отправьте /start.",
    "status_head": "Ваши запросы:",
    "status_line": "{reference}: {rights} — {state}, срок {due}",
    "cancel_flow": "Отменено. Ничего не было подано.",
    "cancel_nothing": "Отменять нечего.",
    "withdraw_offer": "Какой запрос отозвать?",
    "withdrawn": "Запрос {reference} отозван.",
    "withdraw_impossible": "Запрос {reference} уже нельзя отозвать.",
    "help": "Команды:\n/start — подать запрос о своих данных\n/status — состояние запросов\n"
    "/cancel — отменить или отозвать запрос\n/language — сменить язык\n/privacy — политика конфиденциальности\n"
    "/help — помощь",
    "unknown_command": "Такой команды я не знаю.",
    "stray": "Чтобы подать запрос, отправьте /start. Состояние запросов: /status. Помощь: /help.",
    "use_buttons": "Пожалуйста, воспользуйтесь кнопками под предыдущим сообщением или отправьте /cancel.",
    "flood": "Слишком много сообщений за короткое время. Подождите немного — пока я не буду отвечать.",
    "file_too_big": "Файл слишком большой (не более {limit} МБ).",
    "file_unexpected": "Файлы я принимаю только для подтверждения личности подписанным документом.",
    "language_choose": "Выберите язык:",
    "language_set": "Теперь я буду писать по-русски.",
    "notify_state": "Запрос {reference}: {state}.",
    "error": "Извините, произошла ошибка. Пожалуйста, попробуйте позже.",
    "btn.continue": "Продолжить",
    "btn.all": "Все данные",
    "btn.all_consents": "Все",
    "btn.skip": "Пропустить",
    "btn.confirm": "Подать",
    "btn.restart": "Начать заново",
    "btn.cancel": "Отменить",
    "btn.new_code": "Новый код",
    "mkt.email": "E-mail",
    "mkt.sms": "SMS",
    "mkt.phone": "Звонки",
    "mkt.post": "Почта",
    "mkt.all": "Вся реклама",
    "right.access": "Получить доступ к данным",
    "right.rectification": "Исправить данные",
    "right.erasure": "Удалить данные",
    "right.restriction": "Ограничить обработку",
    "right.portability": "Получить данные для переноса",
    "right.objection": "Возразить против обработки",
    "right.marketing_objection": "Прекратить рекламу",
    "right.consent_withdrawal": "Отозвать согласие",
    "state.received": "получен",
    "state.awaiting_identity": "ожидает подтверждения личности",
    "state.in_progress": "выполняется",
    "state.awaiting_approval": "на рассмотрении",
    "state.completed": "выполнен",
    "state.refused": "отклонён",
    "state.withdrawn": "отозван",
    # Private chats only, buttons bound to their request, the code step.
    "private_only": "Здравствуйте! Я работаю только в личном чате, чтобы никто другой не видел ваших данных. "
    "Чтобы подать запрос о своих персональных данных, напишите мне напрямую: {link}. "
    "Пожалуйста, не публикуйте здесь персональные данные.",
    "private_only.button": "Я работаю только в личном чате: напишите мне напрямую.",
    "button_other_request": "Эта кнопка относится к другому запросу. Ваш текущий запрос — {reference}: "
    "пожалуйста, используйте кнопки под последним сообщением.",
    "button_other_request.draft": "Эта кнопка относится к другому запросу. Сейчас вы заполняете новый запрос: "
    "продолжайте кнопками под последним сообщением или отправьте /cancel.",
    "button_other_request.none": "Эта кнопка больше не действует. Ваши запросы: /status.",
    "code_hint": "Это не похоже на код: в коде {digits} цифр, например 123 456. Введите код из нашего сообщения "
    "или выберите ниже.",
    "code_new": "Предыдущий код больше не действует.",
    "code_paused": "Слишком много неверных кодов. Ввести код снова можно {when}. "
    "Вы также можете подтвердить личность другим способом:",
    "checks_later": "Слишком много попыток. Ввести код снова можно {when}. "
    "Вы также можете подтвердить личность другим способом:",
    "code_send_later": "Вы уже несколько раз запрашивали код. Новый код можно запросить {when}. "
    "Вы также можете подтвердить личность другим способом:",
    "no_code_help": "Код обычно приходит в течение нескольких минут; проверьте также папку «Спам». Можно запросить "
    "код ещё раз или подтвердить личность другим способом:",
    "when.time": "в {time}",
    "when.date_time": "{date} в {time}",
    "btn.resend_code": "Отправить код ещё раз",
    "btn.no_code": "Я не получил код",
}

_TEXTS: Mapping[str, Mapping[str, str]] = {"lv": _LV, "en": _EN, "ru": _RU}


def pick_language(code: str | None) -> str:
    """Telegram's ``language_code`` ("lv", "en-GB", "ru") to one we answer in; Latvian otherwise."""
    base = (code or "").split("-")[0].lower()
    return base if base in _TEXTS else DEFAULT_LANGUAGE


def text(language: str, key: str, **values: object) -> str:
    """The text ``key`` in ``language`` (Latvian when missing), filled with ``values``."""
    template = _TEXTS.get(language, _LV).get(key) or _LV[key]
    return template.format(**values) if values else template


# Why a signed document did not verify, and what exactly to do (workflows.domain.evidence_binding);
# filled with {controller} (the controller's trade name) and {reference}.
_REJECTED: Mapping[str, Mapping[str, str]] = {
    "lv": {
        "signature_invalid": (
            "Šī faila paraksts nav derīgs (fails mainīts pēc parakstīšanas vai parakstu nevarēja pārbaudīt). "
            "Parakstiet sava pieprasījuma tekstu vēlreiz ar eParaksts un atsūtiet jauno .edoc šeit vai "
            "izvēlieties citu veidu:"
        ),
        "signature_not_qualified": (
            "Tas nav personas kvalificēts elektroniskais paraksts (piemēram, e-zīmogs vai vienkāršs "
            "paraksts). Parakstiet ar eParaksts (eID karti vai eParaksts mobile) vai citu ES kvalificētu "
            "parakstu, vai izvēlieties citu veidu:"
        ),
        "certificate_revoked": (
            "Paraksta sertifikāts ir atsaukts. Parakstiet vēlreiz ar derīgu eParaksts sertifikātu vai "
            "izvēlieties citu veidu:"
        ),
        "signer_not_data_subject": (
            "Dokumentu parakstījusi cita persona, nevis tā, par kuras datiem ir pieprasījums. Tas jāparaksta "
            "pašam cilvēkam, kura dati tie ir, vai izvēlieties citu veidu:"
        ),
        "signature_not_recent": (
            "Šis dokuments nav parakstīts nesen. Parakstiet ar eParaksts paša šī pieprasījuma ({reference}) "
            "tekstu, norādot {controller}, un atsūtiet to šeit vēlreiz vai izvēlieties citu veidu:"
        ),
        "signing_time_after_receipt": (
            "Paraksta laiks šajā dokumentā ir vēlāks par pašreizējo, tāpēc tam nevar uzticēties. Parakstiet "
            "šī pieprasījuma ({reference}) tekstu ar eParaksts vēlreiz un atsūtiet šeit vai izvēlieties citu "
            "veidu:"
        ),
        "not_addressed_to_controller": (
            "Parakstītais dokuments nav adresēts mums: tajā nav minēts ne {controller}, ne pieprasījums "
            "{reference}. Parakstiet ar eParaksts paša šī pieprasījuma tekstu, norādot {controller} vai "
            "{reference}, un atsūtiet to šeit vēlreiz vai izvēlieties citu veidu:"
        ),
        "signature_already_used": (
            "Šis parakstītais dokuments jau izmantots citam pieprasījumam vai attiecas uz citu pieprasījumu. "
            "Parakstiet ar eParaksts jaunu tekstu šim pieprasījumam ({reference}), norādot {controller}, un "
            "atsūtiet to šeit vai izvēlieties citu veidu:"
        ),
        "rights_not_signed": (
            "Parakstītajā tekstā minēts {controller}, bet tajā nav lūgts tas, ko lūdzat šajā pieprasījumā "
            "({reference}). Ar eParaksts parakstiet tekstu, kurā lūgts tieši tas pats un minēts {controller} "
            "vai norādīts {reference}, un atsūtiet to šeit vai izvēlieties citu veidu:"
        ),
    },
    "en": {
        "signature_invalid": (
            "The signature on this file is not valid (the file was changed after signing, or the signature "
            "could not be checked). Sign the text of your request again with eParaksts and send the new .edoc"
            " here, or choose another way:"
        ),
        "signature_not_qualified": (
            "This is not a qualified electronic signature of a person (it may be an e-seal or a simple "
            "signature). Sign with eParaksts (eID card or eParaksts mobile) or another EU qualified "
            "signature, or choose another way:"
        ),
        "certificate_revoked": (
            "The signing certificate was revoked. Sign again with a valid eParaksts certificate, or choose "
            "another way:"
        ),
        "signer_not_data_subject": (
            "The document was signed by someone other than the person the request is about. The person whose "
            "data it is must sign it, or choose another way:"
        ),
        "signature_not_recent": (
            "This document was not signed recently. Sign the text of this request ({reference}) itself with "
            "eParaksts, naming {controller}, and send it here again, or choose another way:"
        ),
        "signing_time_after_receipt": (
            "The signing time in this document is later than now, so it cannot be relied on. Sign the text of"
            " this request ({reference}) again with eParaksts and send it here, or choose another way:"
        ),
        "not_addressed_to_controller": (
            "The signed document is not addressed to us: it names neither {controller} nor the request "
            "{reference}. Sign the text of this request itself with eParaksts, naming {controller} or "
            "{reference}, and send it here again, or choose another way:"
        ),
        "signature_already_used": (
            "This signed document was already used for another request, or belongs to one. Sign a new text "
            "for this request ({reference}) with eParaksts, naming {controller}, and send it here, or choose "
            "another way:"
        ),
        "rights_not_signed": (
            "The signed text names {controller} but does not ask for what you ask in this request "
            "({reference}). Sign with eParaksts a text that asks for exactly that and names {controller} or "
            "quotes {reference}, and send it here, or choose another way:"
        ),
    },
    "ru": {
        "signature_invalid": (
            "Подпись этого файла недействительна (файл изменён после подписания или подпись не удалось "
            "проверить). Подпишите текст своего запроса заново с eParaksts и отправьте новый .edoc сюда или "
            "выберите другой способ:"
        ),
        "signature_not_qualified": (
            "Это не квалифицированная электронная подпись физического лица (например, электронная печать или "
            "простая подпись). Подпишите с eParaksts (eID-картой или eParaksts mobile) или другой "
            "квалифицированной подписью ЕС или выберите другой способ:"
        ),
        "certificate_revoked": (
            "Сертификат подписи отозван. Подпишите заново действительным сертификатом eParaksts или выберите "
            "другой способ:"
        ),
        "signer_not_data_subject": (
            "Документ подписало другое лицо, а не то, о чьих данных запрос. Подписать должен сам человек, чьи"
            " это данные, или выберите другой способ:"
        ),
        "signature_not_recent": (
            "Этот документ подписан не недавно. Подпишите с eParaksts сам текст этого запроса ({reference}), "
            "указав {controller}, и отправьте его сюда снова или выберите другой способ:"
        ),
        "signing_time_after_receipt": (
            "Время подписи в этом документе позже текущего, поэтому на него нельзя полагаться. Подпишите "
            "текст этого запроса ({reference}) заново с eParaksts и отправьте сюда или выберите другой "
            "способ:"
        ),
        "not_addressed_to_controller": (
            "Подписанный документ адресован не нам: в нём не указаны ни {controller}, ни запрос {reference}. "
            "Подпишите с eParaksts сам текст этого запроса, указав {controller} или {reference}, и отправьте "
            "его сюда снова или выберите другой способ:"
        ),
        "signature_already_used": (
            "Этот подписанный документ уже использован для другого запроса или относится к другому запросу. "
            "Подпишите с eParaksts новый текст для этого запроса ({reference}), указав {controller}, и "
            "отправьте его сюда или выберите другой способ:"
        ),
        "rights_not_signed": (
            "В подписанном тексте указан {controller}, но в нём нет того, о чём Вы просите в этом запросе "
            "({reference}). Подпишите с eParaksts текст, в котором просите именно об этом и указываете "
            "{controller} или {reference}, и отправьте его сюда или выберите другой способ:"
        ),
    },
}


def rejected(language: str, failure: str, *, controller: str, reference: str) -> str:
    """Why a proof of identity did not work and what exactly to do, or the general words."""
    template = _REJECTED.get(language, _REJECTED["lv"]).get(failure) or _REJECTED["lv"].get(failure)
    if template is None:
        return text(language, "rejected")
    return template.format(controller=controller, reference=reference)


def latvian_date(day: date) -> str:
    """Dates as written in Latvia: 03.04.2026."""
    return day.strftime("%d.%m.%Y")
