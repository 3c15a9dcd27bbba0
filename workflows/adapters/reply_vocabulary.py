# ruff: noqa: E501  (wording tables: one sentence per line reads and diffs better than wrapped)
"""Words the reply templates share, per language: rights, legal bases, dates, periods, reasons.

Kept in Python rather than in templates so that a test can prove every enum member has a
wording in every language. Legal terms follow the official Latvian and Russian texts of the
GDPR ("Vispārīgā datu aizsardzības regula", VDAR; "Общий регламент по защите данных", ОРЗД).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from workflows.domain.profile import LegalBasis, Period, RecipientRole
from workflows.domain.replies import (
    DeliveryMethod,
    ExtensionReason,
    RefusalReason,
    RestrictionGround,
    VerificationFailure,
)
from workflows.domain.rights import Channel, Right

Words = Mapping[str, Mapping[str, str]]

RIGHT_NAMES: Words = {
    "lv": {
        Right.ACCESS: "piekļuve personas datiem (VDAR 15. pants)",
        Right.RECTIFICATION: "personas datu labošana (VDAR 16. pants)",
        Right.ERASURE: "personas datu dzēšana (VDAR 17. pants)",
        Right.RESTRICTION: "apstrādes ierobežošana (VDAR 18. pants)",
        Right.PORTABILITY: "datu pārnesamība (VDAR 20. pants)",
        Right.OBJECTION: "iebildums pret apstrādi (VDAR 21. pants)",
        Right.MARKETING_OBJECTION: "iebildums pret tiešo tirgvedību (VDAR 21. panta 2. punkts)",
        Right.CONSENT_WITHDRAWAL: "piekrišanas atsaukšana (VDAR 7. panta 3. punkts)",
    },
    "en": {
        Right.ACCESS: "access to personal data (GDPR Art. 15)",
        Right.RECTIFICATION: "rectification of personal data (GDPR Art. 16)",
        Right.ERASURE: "erasure of personal data (GDPR Art. 17)",
        Right.RESTRICTION: "restriction of processing (GDPR Art. 18)",
        Right.PORTABILITY: "data portability (GDPR Art. 20)",
        Right.OBJECTION: "objection to processing (GDPR Art. 21)",
        Right.MARKETING_OBJECTION: "objection to direct marketing (GDPR Art. 21(2))",
        Right.CONSENT_WITHDRAWAL: "withdrawal of consent (GDPR Art. 7(3))",
    },
    "ru": {
        Right.ACCESS: "доступ к персональным данным (ст. 15 ОРЗД)",
        Right.RECTIFICATION: "исправление персональных данных (ст. 16 ОРЗД)",
        Right.ERASURE: "удаление персональных данных (ст. 17 ОРЗД)",
        Right.RESTRICTION: "ограничение обработки (ст. 18 ОРЗД)",
        Right.PORTABILITY: "переносимость данных (ст. 20 ОРЗД)",
        Right.OBJECTION: "возражение против обработки (ст. 21 ОРЗД)",
        Right.MARKETING_OBJECTION: "возражение против прямого маркетинга (ст. 21(2) ОРЗД)",
        Right.CONSENT_WITHDRAWAL: "отзыв согласия (ст. 7(3) ОРЗД)",
    },
}

LEGAL_BASIS_NAMES: Words = {
    "lv": {
        LegalBasis.CONSENT: "Jūsu piekrišana (VDAR 6. panta 1. punkta a) apakšpunkts)",
        LegalBasis.CONTRACT: "līguma noslēgšana un izpilde (VDAR 6. panta 1. punkta b) apakšpunkts)",
        LegalBasis.LEGAL_OBLIGATION: "juridiska pienākuma izpilde (VDAR 6. panta 1. punkta c) apakšpunkts)",
        LegalBasis.VITAL_INTERESTS: "personas vitālo interešu aizsardzība (VDAR 6. panta 1. punkta d) apakšpunkts)",
        LegalBasis.PUBLIC_TASK: "sabiedrības interesēs veicams uzdevums (VDAR 6. panta 1. punkta e) apakšpunkts)",
        LegalBasis.LEGITIMATE_INTERESTS: "leģitīmās intereses (VDAR 6. panta 1. punkta f) apakšpunkts)",
    },
    "en": {
        LegalBasis.CONSENT: "your consent (GDPR Art. 6(1)(a))",
        LegalBasis.CONTRACT: "entering into and performing a contract (GDPR Art. 6(1)(b))",
        LegalBasis.LEGAL_OBLIGATION: "compliance with a legal obligation (GDPR Art. 6(1)(c))",
        LegalBasis.VITAL_INTERESTS: "protection of vital interests (GDPR Art. 6(1)(d))",
        LegalBasis.PUBLIC_TASK: "a task in the public interest (GDPR Art. 6(1)(e))",
        LegalBasis.LEGITIMATE_INTERESTS: "legitimate interests (GDPR Art. 6(1)(f))",
    },
    "ru": {
        LegalBasis.CONSENT: "Ваше согласие (ст. 6(1)(a) ОРЗД)",
        LegalBasis.CONTRACT: "заключение и исполнение договора (ст. 6(1)(b) ОРЗД)",
        LegalBasis.LEGAL_OBLIGATION: "исполнение юридической обязанности (ст. 6(1)(c) ОРЗД)",
        LegalBasis.VITAL_INTERESTS: "защита жизненно важных интересов (ст. 6(1)(d) ОРЗД)",
        LegalBasis.PUBLIC_TASK: "задача в общественных интересах (ст. 6(1)(e) ОРЗД)",
        LegalBasis.LEGITIMATE_INTERESTS: "законные интересы (ст. 6(1)(f) ОРЗД)",
    },
}

ROLE_NAMES: Words = {
    "lv": {
        RecipientRole.PROCESSOR: "apstrādātājs",
        RecipientRole.INDEPENDENT_CONTROLLER: "patstāvīgs pārzinis",
        RecipientRole.JOINT_CONTROLLER: "kopīgs pārzinis",
        RecipientRole.PUBLIC_AUTHORITY: "valsts iestāde",
    },
    "en": {
        RecipientRole.PROCESSOR: "processor",
        RecipientRole.INDEPENDENT_CONTROLLER: "independent controller",
        RecipientRole.JOINT_CONTROLLER: "joint controller",
        RecipientRole.PUBLIC_AUTHORITY: "public authority",
    },
    "ru": {
        RecipientRole.PROCESSOR: "обработчик",
        RecipientRole.INDEPENDENT_CONTROLLER: "самостоятельный контролёр",
        RecipientRole.JOINT_CONTROLLER: "совместный контролёр",
        RecipientRole.PUBLIC_AUTHORITY: "государственное учреждение",
    },
}

VERIFICATION_FAILURES: Words = {
    "lv": {
        VerificationFailure.SIGNATURE_INVALID: "elektroniskais paraksts nav derīgs: dokuments pēc parakstīšanas ir mainīts vai parakstu nevarēja pārbaudīt",
        VerificationFailure.SIGNATURE_NOT_QUALIFIED: "paraksts nav kvalificēts elektroniskais paraksts (tāds kā eParaksts vai cits ES kvalificēts elektroniskais paraksts)",
        VerificationFailure.CERTIFICATE_REVOKED: "paraksta sertifikāts parakstīšanas brīdī bija atsaukts vai nederīgs",
        VerificationFailure.SIGNER_NOT_DATA_SUBJECT: "dokumentu parakstījusi cita persona, nevis tā, par kuras datiem ir pieprasījums, un pilnvara nav iesniegta",
        VerificationFailure.CODE_EXPIRED: "vienreizējā koda derīguma termiņš ir beidzies",
        VerificationFailure.CODE_WRONG: "ievadītais vienreizējais kods nav pareizs",
        VerificationFailure.DOCUMENT_NOT_SHOWN: "netika uzrādīts personu apliecinošs dokuments",
        VerificationFailure.MANDATE_NOT_SHOWN: "pārstāvis nav iesniedzis pilnvaru vai citu pārstāvības dokumentu",
        VerificationFailure.NO_MATCHING_RECORDS: "pēc sniegtās informācijas mēs nevarējām atrast Jūsu datus mūsu sistēmās",
        VerificationFailure.SIGNED_TEXT_UNREADABLE: "parakstītajā dokumentā nav nolasāma teksta (piemēram, tas ir skenēts attēls), tāpēc no tā nevar saprast, ko un kam Jūs lūdzat; mūsu darbinieki to izskatīs",
        VerificationFailure.SIGNATURE_NOT_RECENT: "dokuments nav parakstīts nesen: identitāti apstiprina tikai paraksts, kas veikts neilgi pirms dokumenta nosūtīšanas mums",
        VerificationFailure.SIGNING_TIME_AFTER_RECEIPT: "paraksta laiks dokumentā ir vēlāks par brīdi, kad to saņēmām, tāpēc tas nav ticams",
        VerificationFailure.NOT_ADDRESSED_TO_CONTROLLER: "parakstītais dokuments nav adresēts mums: tajā nav minēts ne mūsu uzņēmums, ne šī pieprasījuma numurs",
        VerificationFailure.SIGNATURE_ALREADY_USED: "šis parakstītais dokuments jau izmantots citam pieprasījumam vai attiecas uz citu pieprasījumu; katram pieprasījumam vajadzīgs savs parakstīts teksts",
        VerificationFailure.RIGHTS_NOT_SIGNED: "parakstītajā tekstā minēts mūsu uzņēmums, bet nav lūgts tas, ko lūdz šis pieprasījums, un nav norādīts tā numurs; paraksts apstiprina tikai to, ko parakstītājs pats parakstītajā tekstā lūdz",
    },
    "en": {
        VerificationFailure.SIGNATURE_INVALID: "the electronic signature is not valid: the document was changed after signing or the signature could not be checked",
        VerificationFailure.SIGNATURE_NOT_QUALIFIED: "the signature is not a qualified electronic signature (such as eParaksts or another EU qualified electronic signature)",
        VerificationFailure.CERTIFICATE_REVOKED: "the signing certificate was revoked or not valid when the document was signed",
        VerificationFailure.SIGNER_NOT_DATA_SUBJECT: "the document was signed by someone other than the person whose data is requested, and no mandate was provided",
        VerificationFailure.CODE_EXPIRED: "the one-time code has expired",
        VerificationFailure.CODE_WRONG: "the one-time code entered is not correct",
        VerificationFailure.DOCUMENT_NOT_SHOWN: "no identity document was shown",
        VerificationFailure.MANDATE_NOT_SHOWN: "the representative did not provide a mandate or other proof of representation",
        VerificationFailure.NO_MATCHING_RECORDS: "with the information given we could not find your data in our systems",
        VerificationFailure.SIGNED_TEXT_UNREADABLE: "the signed document has no readable text (it may be a scanned image), so it does not show what you ask and of whom; our staff will look at it",
        VerificationFailure.SIGNATURE_NOT_RECENT: "the document was not signed recently: only a signature made shortly before you send the document to us confirms your identity",
        VerificationFailure.SIGNING_TIME_AFTER_RECEIPT: "the signing time in the document is later than the moment we received it, so it cannot be relied on",
        VerificationFailure.NOT_ADDRESSED_TO_CONTROLLER: "the signed document is not addressed to us: it names neither our company nor the number of this request",
        VerificationFailure.SIGNATURE_ALREADY_USED: "this signed document was already used for, or belongs to, another request; each request needs its own signed text",
        VerificationFailure.RIGHTS_NOT_SIGNED: "the signed text names our company but does not ask for what this request asks, nor quote its number; a signature confirms only what the signer asks for in the signed text",
    },
    "ru": {
        VerificationFailure.SIGNATURE_INVALID: "электронная подпись недействительна: документ был изменён после подписания или подпись не удалось проверить",
        VerificationFailure.SIGNATURE_NOT_QUALIFIED: "подпись не является квалифицированной электронной подписью (например, eParaksts или другой квалифицированной подписью ЕС)",
        VerificationFailure.CERTIFICATE_REVOKED: "сертификат подписи на момент подписания был отозван или недействителен",
        VerificationFailure.SIGNER_NOT_DATA_SUBJECT: "документ подписало другое лицо, а не то, чьи данные запрошены, и доверенность не представлена",
        VerificationFailure.CODE_EXPIRED: "срок действия одноразового кода истёк",
        VerificationFailure.CODE_WRONG: "введённый одноразовый код неверен",
        VerificationFailure.DOCUMENT_NOT_SHOWN: "не был предъявлен документ, удостоверяющий личность",
        VerificationFailure.MANDATE_NOT_SHOWN: "представитель не предъявил доверенность или иной документ о представительстве",
        VerificationFailure.NO_MATCHING_RECORDS: "по предоставленной информации мы не смогли найти Ваши данные в наших системах",
        VerificationFailure.SIGNED_TEXT_UNREADABLE: "в подписанном документе нет читаемого текста (возможно, это скан), поэтому из него не видно, что и у кого Вы просите; наши сотрудники его рассмотрят",
        VerificationFailure.SIGNATURE_NOT_RECENT: "документ подписан не недавно: личность подтверждает только подпись, сделанная незадолго до отправки документа нам",
        VerificationFailure.SIGNING_TIME_AFTER_RECEIPT: "время подписи в документе позже момента, когда мы его получили, поэтому на него нельзя полагаться",
        VerificationFailure.NOT_ADDRESSED_TO_CONTROLLER: "подписанный документ адресован не нам: в нём не названы ни наша компания, ни номер этого запроса",
        VerificationFailure.SIGNATURE_ALREADY_USED: "этот подписанный документ уже использован для другого запроса или относится к другому запросу; для каждого запроса нужен свой подписанный текст",
        VerificationFailure.RIGHTS_NOT_SIGNED: "в подписанном тексте названа наша компания, но не указано то, о чём просит этот запрос, и нет его номера; подпись подтверждает только то, о чём подписавший просит в подписанном тексте",
    },
}

EXTENSION_REASONS: Words = {
    "lv": {
        ExtensionReason.COMPLEXITY: "pieprasījuma sarežģītība",
        ExtensionReason.NUMBER_OF_REQUESTS: "saņemto pieprasījumu skaits",
    },
    "en": {
        ExtensionReason.COMPLEXITY: "the complexity of the request",
        ExtensionReason.NUMBER_OF_REQUESTS: "the number of requests received",
    },
    "ru": {
        ExtensionReason.COMPLEXITY: "сложность запроса",
        ExtensionReason.NUMBER_OF_REQUESTS: "количество полученных запросов",
    },
}

REFUSAL_REASONS: Words = {
    "lv": {
        RefusalReason.IDENTITY_NOT_ESTABLISHED: "mēs nevarējām pārliecināties, ka pieprasījumu iesniedz persona, par kuru ir dati (VDAR 12. panta 6. punkts)",
        RefusalReason.MANIFESTLY_UNFOUNDED: "pieprasījums ir acīmredzami nepamatots (VDAR 12. panta 5. punkts)",
        RefusalReason.EXCESSIVE: "pieprasījums ir pārmērīgs, jo īpaši atkārtots (VDAR 12. panta 5. punkts)",
        RefusalReason.LEGAL_OBLIGATION_TO_KEEP: "normatīvie akti mums uzliek pienākumu šos datus glabāt (VDAR 17. panta 3. punkta b) apakšpunkts)",
        RefusalReason.LEGAL_CLAIMS: "dati ir nepieciešami likumīgu prasījumu celšanai, īstenošanai vai aizstāvēšanai (VDAR 17. panta 3. punkta e) apakšpunkts)",
        RefusalReason.RIGHTS_OF_OTHERS: "datu izsniegšana nelabvēlīgi ietekmētu citu personu tiesības un brīvības (VDAR 15. panta 4. punkts)",
        RefusalReason.PORTABILITY_NOT_APPLICABLE: "tiesības uz datu pārnesamību attiecas tikai uz Jūsu sniegtajiem datiem, kurus apstrādājam uz piekrišanas vai līguma pamata automatizēti (VDAR 20. panta 1. punkts)",
        RefusalReason.COMPELLING_LEGITIMATE_GROUNDS: "apstrādei ir pārliecinoši leģitīmi iemesli, kas ir svarīgāki par Jūsu interesēm (VDAR 21. panta 1. punkts)",
        RefusalReason.NO_DATA_HELD: "mūsu rīcībā nav Jūsu personas datu",
    },
    "en": {
        RefusalReason.IDENTITY_NOT_ESTABLISHED: "we could not confirm that the request comes from the person the data is about (GDPR Art. 12(6))",
        RefusalReason.MANIFESTLY_UNFOUNDED: "the request is manifestly unfounded (GDPR Art. 12(5))",
        RefusalReason.EXCESSIVE: "the request is excessive, in particular because of its repetitive character (GDPR Art. 12(5))",
        RefusalReason.LEGAL_OBLIGATION_TO_KEEP: "the law requires us to keep this data (GDPR Art. 17(3)(b))",
        RefusalReason.LEGAL_CLAIMS: "the data is needed for the establishment, exercise or defence of legal claims (GDPR Art. 17(3)(e))",
        RefusalReason.RIGHTS_OF_OTHERS: "disclosing the data would adversely affect the rights and freedoms of others (GDPR Art. 15(4))",
        RefusalReason.PORTABILITY_NOT_APPLICABLE: "the right to data portability covers only data you provided that we process by automated means on the basis of consent or a contract (GDPR Art. 20(1))",
        RefusalReason.COMPELLING_LEGITIMATE_GROUNDS: "there are compelling legitimate grounds for the processing which override your interests (GDPR Art. 21(1))",
        RefusalReason.NO_DATA_HELD: "we hold no personal data about you",
    },
    "ru": {
        RefusalReason.IDENTITY_NOT_ESTABLISHED: "мы не смогли убедиться, что запрос подало лицо, о котором эти данные (ст. 12(6) ОРЗД)",
        RefusalReason.MANIFESTLY_UNFOUNDED: "запрос явно необоснован (ст. 12(5) ОРЗД)",
        RefusalReason.EXCESSIVE: "запрос чрезмерен, в частности из-за его повторяющегося характера (ст. 12(5) ОРЗД)",
        RefusalReason.LEGAL_OBLIGATION_TO_KEEP: "закон обязывает нас хранить эти данные (ст. 17(3)(b) ОРЗД)",
        RefusalReason.LEGAL_CLAIMS: "данные необходимы для предъявления, осуществления или защиты правовых требований (ст. 17(3)(e) ОРЗД)",
        RefusalReason.RIGHTS_OF_OTHERS: "выдача данных нарушила бы права и свободы других лиц (ст. 15(4) ОРЗД)",
        RefusalReason.PORTABILITY_NOT_APPLICABLE: "право на переносимость касается только предоставленных Вами данных, которые мы обрабатываем автоматизированно на основании согласия или договора (ст. 20(1) ОРЗД)",
        RefusalReason.COMPELLING_LEGITIMATE_GROUNDS: "для обработки существуют веские законные основания, которые преобладают над Вашими интересами (ст. 21(1) ОРЗД)",
        RefusalReason.NO_DATA_HELD: "у нас нет Ваших персональных данных",
    },
}

DELIVERY_METHODS: Words = {
    "lv": {
        DeliveryMethod.EMAIL_ATTACHMENT: "pievienota šai vēstulei",
        DeliveryMethod.DOWNLOAD_LINK: "pieejama drošā lejupielādes saitē, ko nosūtīsim atsevišķā vēstulē",
        DeliveryMethod.TELEGRAM: "nosūtīta Jums tērzēšanas robotā Telegram",
        DeliveryMethod.IN_PERSON: "saņemama klātienē, uzrādot personu apliecinošu dokumentu",
        DeliveryMethod.POST: "nosūtīta pa pastu uz mūsu sistēmā norādīto adresi",
    },
    "en": {
        DeliveryMethod.EMAIL_ATTACHMENT: "attached to this message",
        DeliveryMethod.DOWNLOAD_LINK: "available through a secure download link that we send in a separate message",
        DeliveryMethod.TELEGRAM: "sent to you in the Telegram chat bot",
        DeliveryMethod.IN_PERSON: "ready for collection in person on showing an identity document",
        DeliveryMethod.POST: "sent by post to the address on file",
    },
    "ru": {
        DeliveryMethod.EMAIL_ATTACHMENT: "приложена к этому письму",
        DeliveryMethod.DOWNLOAD_LINK: "доступна по защищённой ссылке, которую мы пришлём отдельным письмом",
        DeliveryMethod.TELEGRAM: "отправлена Вам в чат-боте Telegram",
        DeliveryMethod.IN_PERSON: "может быть получена лично при предъявлении документа, удостоверяющего личность",
        DeliveryMethod.POST: "отправлена почтой по адресу, указанному в наших данных",
    },
}

RESTRICTION_GROUNDS: Words = {
    "lv": {
        RestrictionGround.ACCURACY_CONTESTED: "kamēr pārbaudām, vai dati ir precīzi (VDAR 18. panta 1. punkta a) apakšpunkts)",
        RestrictionGround.UNLAWFUL_BUT_NOT_ERASED: "jo dzēšanas vietā lūdzāt ierobežot apstrādi (VDAR 18. panta 1. punkta b) apakšpunkts)",
        RestrictionGround.NEEDED_FOR_PERSONS_CLAIMS: "jo dati Jums ir vajadzīgi likumīgu prasījumu celšanai, īstenošanai vai aizstāvēšanai (VDAR 18. panta 1. punkta c) apakšpunkts)",
        RestrictionGround.OBJECTION_PENDING: "kamēr izvērtējam Jūsu iebildumu (VDAR 18. panta 1. punkta d) apakšpunkts)",
    },
    "en": {
        RestrictionGround.ACCURACY_CONTESTED: "while we check whether the data is accurate (GDPR Art. 18(1)(a))",
        RestrictionGround.UNLAWFUL_BUT_NOT_ERASED: "because you asked for restriction instead of erasure (GDPR Art. 18(1)(b))",
        RestrictionGround.NEEDED_FOR_PERSONS_CLAIMS: "because you need the data for the establishment, exercise or defence of legal claims (GDPR Art. 18(1)(c))",
        RestrictionGround.OBJECTION_PENDING: "while we assess your objection (GDPR Art. 18(1)(d))",
    },
    "ru": {
        RestrictionGround.ACCURACY_CONTESTED: "пока мы проверяем точность данных (ст. 18(1)(a) ОРЗД)",
        RestrictionGround.UNLAWFUL_BUT_NOT_ERASED: "поскольку вместо удаления Вы попросили ограничить обработку (ст. 18(1)(b) ОРЗД)",
        RestrictionGround.NEEDED_FOR_PERSONS_CLAIMS: "поскольку данные нужны Вам для предъявления, осуществления или защиты правовых требований (ст. 18(1)(c) ОРЗД)",
        RestrictionGround.OBJECTION_PENDING: "пока мы рассматриваем Ваше возражение (ст. 18(1)(d) ОРЗД)",
    },
}

CHANNEL_NAMES: Words = {
    "lv": {
        Channel.EMAIL: "e-pasts",
        Channel.TELEGRAM: "Telegram",
        Channel.IN_PERSON: "klātienē",
        Channel.STAFF: "darbinieks",
    },
    "en": {
        Channel.EMAIL: "e-mail",
        Channel.TELEGRAM: "Telegram",
        Channel.IN_PERSON: "in person",
        Channel.STAFF: "staff",
    },
    "ru": {
        Channel.EMAIL: "e-mail",
        Channel.TELEGRAM: "Telegram",
        Channel.IN_PERSON: "лично",
        Channel.STAFF: "сотрудник",
    },
}

FIELD_NAMES: Words = {
    "lv": {
        "email": "e-pasta adrese",
        "phone": "tālruņa numurs",
        "address": "adrese",
        "delivery_address": "piegādes adrese",
        "first_name": "vārds",
        "last_name": "uzvārds",
        "name": "vārds un uzvārds",
        "date_of_birth": "dzimšanas datums",
    },
    "en": {
        "email": "e-mail address",
        "phone": "phone number",
        "address": "address",
        "delivery_address": "delivery address",
        "first_name": "first name",
        "last_name": "surname",
        "name": "name and surname",
        "date_of_birth": "date of birth",
    },
    "ru": {
        "email": "адрес e-mail",
        "phone": "номер телефона",
        "address": "адрес",
        "delivery_address": "адрес доставки",
        "first_name": "имя",
        "last_name": "фамилия",
        "name": "имя и фамилия",
        "date_of_birth": "дата рождения",
    },
}

_LV_MONTHS_LOCATIVE = (
    "janvārī",
    "februārī",
    "martā",
    "aprīlī",
    "maijā",
    "jūnijā",
    "jūlijā",
    "augustā",
    "septembrī",
    "oktobrī",
    "novembrī",
    "decembrī",
)
_LV_MONTHS_DATIVE = (
    "janvārim",
    "februārim",
    "martam",
    "aprīlim",
    "maijam",
    "jūnijam",
    "jūlijam",
    "augustam",
    "septembrim",
    "oktobrim",
    "novembrim",
    "decembrim",
)
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_RU_MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


def format_date(day: date, language: str) -> str:
    """ "on" a date: lv "2026. gada 5. martā", en "5 March 2026", ru "5 марта 2026 г."."""
    if language == "lv":
        return f"{day.year}. gada {day.day}. {_LV_MONTHS_LOCATIVE[day.month - 1]}"
    if language == "ru":
        return f"{day.day} {_RU_MONTHS_GENITIVE[day.month - 1]} {day.year} г."
    return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}"


def format_until(day: date, language: str) -> str:
    """ "until" a date: lv "līdz 2026. gada 5. martam", en "until 5 March 2026", ru "до 5 марта 2026 г."."""
    if language == "lv":
        return f"līdz {day.year}. gada {day.day}. {_LV_MONTHS_DATIVE[day.month - 1]}"
    if language == "ru":
        return f"до {format_date(day, 'ru')}"
    return f"until {format_date(day, 'en')}"


_UNITS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # (years, months, days) forms: lv (singular, plural); en (singular, plural); ru (one, few, many)
    "lv": (("gads", "gadi"), ("mēnesis", "mēneši"), ("diena", "dienas")),
    "en": (("year", "years"), ("month", "months"), ("day", "days")),
    "ru": (("год", "года", "лет"), ("месяц", "месяца", "месяцев"), ("день", "дня", "дней")),
}
_AND = {"lv": " un ", "en": " and ", "ru": " и "}


def _plural(count: int, forms: tuple[str, ...], language: str) -> str:
    ends_in_one = count % 10 == 1 and count % 100 != 11
    if language == "ru":
        if ends_in_one:
            return forms[0]
        return forms[1] if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14) else forms[2]
    if language == "lv":
        return forms[0] if ends_in_one else forms[1]
    return forms[0] if count == 1 else forms[1]


def format_period(period: Period, language: str) -> str:
    """A retention period in words: lv "5 gadi", en "2 years and 6 months", ru "10 лет"."""
    units = _UNITS.get(language, _UNITS["en"])
    parts = [
        f"{count} {_plural(count, forms, language)}"
        for count, forms in zip((period.years, period.months, period.days), units, strict=True)
        if count
    ]
    return _AND.get(language, " and ").join(parts) if parts else "0"


def word(table: Words, key: str, language: str) -> str:
    """The wording for ``key``; English if the language lacks it, else the key itself."""
    return table.get(language, {}).get(key) or table["en"].get(key) or key
