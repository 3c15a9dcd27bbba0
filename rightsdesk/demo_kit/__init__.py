"""Tools for the demo and the tests: a generated PKI with EU-style trusted lists, signed sample
containers, the sample shop (:mod:`.sample_shop`), a SoftHSM2 demo e-seal (:mod:`.seal`), and a
local stand-in for the Telegram Bot API with a browser chat page.

Everything here is trusted nowhere but the demo's own trust directory (``[signature] trust_dir``
of ``rightsdesk demo``) and the tests' temporary ones; nothing in the service imports it.
"""
