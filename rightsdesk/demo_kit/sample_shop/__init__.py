"""The sample shop: a small retailer's database for the demo, the tests and the benchmarks.

* :mod:`.schema`: its tables, ``create_schema(engine)`` and ``seed(engine, today=...)``;
* :mod:`.personas`: the people in it (Līga, her namesake, Jānis, Anna) and their rows;
* :mod:`.generator`: ``generate(engine, customers=N, orders=M)``, a shop of millions for benchmarks.

Its data map is rightsdesk/examples/shop/datamap.toml. The engine never imports it: a
controller's own databases are reached through the data map alone.
"""

from __future__ import annotations

from rightsdesk.demo_kit.sample_shop.personas import ANNA, JANIS, LIGA, NAMESAKE, PERSONAS, Persona
from rightsdesk.demo_kit.sample_shop.schema import PERSON_TABLES, create_schema, metadata, seed

__all__ = [
    "ANNA",
    "JANIS",
    "LIGA",
    "NAMESAKE",
    "PERSONAS",
    "PERSON_TABLES",
    "Persona",
    "create_schema",
    "metadata",
    "seed",
]
