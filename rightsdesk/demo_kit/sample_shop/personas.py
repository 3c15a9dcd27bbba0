"""The personas of the sample shop and their rows (see :mod:`.schema` for who they are).

Fictional people: personal codes in the old DDMMYY-NNNNN format that belong to no one, and
addresses under .example domains. Ids are below 10,000; the generator starts above.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta


@dataclass(frozen=True)
class Persona:
    """A named person in the seed data, with the identifiers a request would carry."""

    customer_id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    personal_code: str
    loyalty_card: str | None = None
    language: str = "lv"

    @property
    def identifiers(self) -> dict[str, str]:
        """What a verified request from this person would give the subject finder."""
        return {"email": self.email, "phone": self.phone, "personal_code": self.personal_code}


# Fictional personal codes (old format DDMMYY-NNNNN) and .example addresses: no real person.
LIGA = Persona(1, "Līga", "Bērziņa", "liga.berzina@example.lv", "+37120000001", "150385-10001", "2900000000011")
JANIS = Persona(2, "Jānis", "Ozols", "janis.ozols@example.lv", "+37120000002", "020779-10002", "2900000000028")
ANNA = Persona(3, "Anna", "Petrova", "anna.petrova@example.lv", "+37120000003", "300990-10003", None, "ru")
NAMESAKE = Persona(4, "Līga", "Bērziņa", "liga.b@example.com", "+37120000004", "211192-10004", "2900000000042")
PERSONAS: tuple[Persona, ...] = (LIGA, JANIS, ANNA, NAMESAKE)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour, 0))


def persona_rows(today: date) -> dict[str, list[dict[str, object]]]:
    """The personas' rows per table name; dates are relative to ``today``."""

    def ago(**delta: float) -> date:
        return today - timedelta(**delta)

    six_years, last_month, eight_months = ago(days=6 * 365 + 10), ago(days=30), ago(days=240)
    return {
        "customers": [
            _customer(LIGA, "Brīvības iela 1-5", "Rīga", "LV-1010", ago(days=7 * 365), last_month),
            _customer(JANIS, "Rīgas iela 10", "Jelgava", "LV-3001", ago(days=3 * 365), eight_months),
            _customer(ANNA, "Lāčplēša iela 20-3", "Daugavpils", "LV-5401", ago(days=2 * 365), ago(days=60)),
            _customer(NAMESAKE, "Jūras iela 2", "Liepāja", "LV-3401", ago(days=400), ago(days=20)),
        ],
        "loyalty_cards": [
            _card(1, LIGA, ago(days=7 * 365), ago(days=30), 1250),
            _card(2, JANIS, ago(days=3 * 365), eight_months, 310),
            _card(4, NAMESAKE, ago(days=400), ago(days=20), 80),
        ],
        "marketing_consents": [
            _consent(1, LIGA.customer_id, LIGA.email, LIGA.phone, True, True, "eshop", ago(days=700)),
            _consent(2, ANNA.customer_id, ANNA.email, None, True, False, "shop", ago(days=300)),
            _consent(3, None, NAMESAKE.email, None, True, False, "newsletter_form", ago(days=50)),
        ],
        "orders": [
            _order(101, LIGA, six_years, "eshop", None, 4599),
            _order(102, LIGA, last_month, "eshop", None, 2350),
            _order(201, JANIS, eight_months, "shop", "RIX01", 34900),
            _order(301, ANNA, ago(days=90), "shop", "DGP01", 1299),
            _order(401, NAMESAKE, ago(days=25), "eshop", None, 999),
            # The namesake again, as a guest: same name as Līga, her own e-mail, no account.
            {**_order(402, NAMESAKE, ago(days=10), "eshop", None, 1999), "customer_id": None},
        ],
        "order_lines": [
            _line(1001, 101, "BK-1001", "Pavārgrāmata", 1, 4599),
            _line(1002, 102, "TEA-200", "Zāļu tēja", 2, 575),
            _line(1003, 102, "MUG-010", "Krūze", 1, 1200),
            _line(2001, 201, "TV-55", 'Televizors 55"', 1, 34900),
            _line(3001, 301, "SOAP-3", "Ziepes", 1, 1299),
            _line(4001, 401, "PEN-1", "Pildspalva", 1, 999),
            _line(4002, 402, "NB-2", "Klade", 1, 1999),
        ],
        "invoices": [
            _invoice(101, LIGA, six_years, 4599),
            _invoice(102, LIGA, last_month, 2350),
            _invoice(201, JANIS, eight_months, 34900),
            _invoice(301, ANNA, ago(days=90), 1299),
            _invoice(401, NAMESAKE, ago(days=25), 999),
            _invoice(402, NAMESAKE, ago(days=10), 1999),
        ],
        "deliveries": [
            _delivery(101, LIGA, "courier", "dpd", None, "Brīvības iela 1-5, Rīga", six_years),
            _delivery(102, LIGA, "parcel_terminal", "omniva", "OMNIVA-RIX-123", None, last_month),
            _delivery(401, NAMESAKE, "parcel_terminal", "dpd", "DPD-LPX-77", None, ago(days=24)),
            _delivery(402, NAMESAKE, "parcel_terminal", "omniva", "OMNIVA-LPX-9", None, ago(days=9)),
        ],
        "payments": [
            _payment(101, LIGA, "bank_transfer", six_years, 4599),
            _payment(102, LIGA, "card", last_month, 2350),
            _payment(201, JANIS, "card", eight_months, 34900),
            _payment(301, ANNA, "card", ago(days=90), 1299),
            _payment(401, NAMESAKE, "card", ago(days=25), 999),
            _payment(402, NAMESAKE, "card", ago(days=10), 1999),
        ],
        "support_tickets": [
            _ticket(1, LIGA, "lv", "Kur ir mans sūtījums?", "Labdien, pasūtījums 102 vēl nav pienācis.", ago(days=28)),
            _ticket(3, ANNA, "ru", "Вопрос о заказе", "Здравствуйте, хочу узнать о своём заказе.", ago(days=85)),
            _ticket(4, NAMESAKE, "lv", "Atlaides kods", "Vai varu izmantot atlaides kodu?", ago(days=15)),
        ],
        "warranty_claims": [
            {
                "id": 1,
                "customer_id": JANIS.customer_id,
                "order_id": 201,
                "personal_code": JANIS.personal_code,
                "product_sku": "TV-55",
                "description": "Televizors neieslēdzas.",
                "purchased_at": _at(eight_months),
                "submitted_at": _at(ago(days=20)),
                "status": "in_repair",
                "processing_restricted": False,
            }
        ],
        "cctv_clips": [
            _clip(1, LIGA, "RIX01", ago(days=10)),
            _clip(2, LIGA, "RIX01", ago(days=90)),
            _clip(4, NAMESAKE, "LPX01", ago(days=5)),
        ],
        "eshop_logins": [
            _login(1, LIGA, ago(days=3)),
            _login(4, NAMESAKE, ago(days=2)),
        ],
    }


def _customer(p: Persona, street: str, city: str, postcode: str, created: date, active: date) -> dict[str, object]:
    return {
        "id": p.customer_id,
        "personal_code": p.personal_code,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "email": p.email,
        "phone": p.phone,
        "address_street": street,
        "address_city": city,
        "address_postcode": postcode,
        "preferred_language": p.language,
        "segment": "frequent" if p is LIGA else "occasional",
        "created_at": _at(created),
        "last_activity_at": _at(active),
        "processing_restricted": False,
    }


def _card(card_id: int, p: Persona, issued: date, used: date, points: int) -> dict[str, object]:
    return {
        "id": card_id,
        "customer_id": p.customer_id,
        "card_number": p.loyalty_card,
        "points": points,
        "issued_at": _at(issued),
        "last_used_at": _at(used),
        "processing_restricted": False,
    }


def _consent(
    row_id: int, customer: int | None, email: str, phone: str | None, by_mail: bool, by_sms: bool, source: str, at: date
) -> dict[str, object]:
    return {
        "id": row_id,
        "customer_id": customer,
        "email": email,
        "phone": phone,
        "email_opt_in": by_mail,
        "sms_opt_in": by_sms,
        "consent_source": source,
        "updated_at": _at(at),
        "processing_restricted": False,
    }


def _order(order_id: int, p: Persona, placed: date, channel: str, shop: str | None, total: int) -> dict[str, object]:
    return {
        "id": order_id,
        "customer_id": p.customer_id,
        "placed_at": _at(placed),
        "sales_channel": channel,
        "shop_code": shop,
        "contact_email": p.email if channel == "eshop" else None,
        "contact_phone": p.phone if channel == "eshop" else None,
        "status": "completed",
        "total_cents": total,
        "processing_restricted": False,
    }


def _line(line_id: int, order_id: int, sku: str, name: str, quantity: int, price: int) -> dict[str, object]:
    return {
        "id": line_id,
        "order_id": order_id,
        "product_sku": sku,
        "product_name": name,
        "quantity": quantity,
        "unit_price_cents": price,
        "processing_restricted": False,
    }


def _invoice(order_id: int, p: Persona, issued: date, total: int) -> dict[str, object]:
    return {
        "id": order_id,
        "order_id": order_id,
        "invoice_number": f"MOK-{issued.year}-{order_id:06d}",
        "issued_at": _at(issued),
        "buyer_name": f"{p.first_name} {p.last_name}",
        "buyer_address": None,
        "total_cents": total,
        "vat_cents": total * 21 // 121,
        "processing_restricted": False,
    }


def _delivery(
    order_id: int, p: Persona, method: str, carrier: str, terminal: str | None, address: str | None, sent: date
) -> dict[str, object]:
    return {
        "id": order_id,
        "order_id": order_id,
        "method": method,
        "carrier": carrier,
        "terminal_code": terminal,
        "recipient_name": f"{p.first_name} {p.last_name}",
        "recipient_phone": p.phone,
        "address": address,
        "status": "delivered",
        "delivered_at": _at(sent + timedelta(days=2)),
        "processing_restricted": False,
    }


def _payment(order_id: int, p: Persona, method: str, paid: date, amount: int) -> dict[str, object]:
    return {
        "id": order_id,
        "order_id": order_id,
        "method": method,
        "payer_name": f"{p.first_name} {p.last_name}",
        "payer_iban_masked": f"LV** HABA **** **** {order_id:04d} 0" if method == "bank_transfer" else None,
        "card_masked": f"**** **** **** {1000 + p.customer_id}" if method == "card" else None,
        "paid_at": _at(paid),
        "amount_cents": amount,
        "processing_restricted": False,
    }


def _ticket(row_id: int, p: Persona, language: str, subject: str, body: str, opened: date) -> dict[str, object]:
    return {
        "id": row_id,
        "customer_id": p.customer_id,
        "email": p.email,
        "language": language,
        "subject": subject,
        "body": body,
        "opened_at": _at(opened),
        "closed_at": _at(opened + timedelta(days=1)),
        "processing_restricted": False,
    }


def _clip(row_id: int, p: Persona, shop: str, recorded: date) -> dict[str, object]:
    return {
        "id": row_id,
        "customer_id": p.customer_id,
        "shop_code": shop,
        "camera": "entrance-1",
        "recorded_at": _at(recorded, 17),
        "clip_ref": f"cctv://{shop}/entrance-1/{recorded.isoformat()}T17:00:00/{row_id}",
        "processing_restricted": False,
    }


def _login(row_id: int, p: Persona, last: date) -> dict[str, object]:
    return {
        "id": row_id,
        "customer_id": p.customer_id,
        "username": p.email,
        "password_hash": f"$argon2id$v=19$m=65536,t=3,p=4$sample{row_id}",
        "last_login_at": _at(last),
        "last_login_ip": f"192.0.2.{row_id}",
        "processing_restricted": False,
    }
