"""Refresh the trusted-list snapshot from the network, keeping the last good one.

``refresh(trust_dir, fetch=..., territories=("LV",))`` downloads the EU LOTL,
the LOTL pivots it announces and the national lists it points to, then builds
a :class:`TrustStore` from the downloaded material *before* touching
``trust_dir``. Only when the LOTL verifies against the pinned signers (copied
from ``trust_dir/**/lotl-signers``) and every requested national list verifies
is the snapshot replaced (ETSI TS 119 612 clause 6.1: a list whose signature
does not verify must not be used). On any failure :class:`TrustListError` is
raised and the old snapshot stays in place.

The new snapshot layout is ``lotl-signers/*.pem``, ``lotl-pivots/*.xml``,
``eu-lotl.xml`` and ``tl/<territory>.xml``; :meth:`TrustStore.from_directory`
reads it like any other.
"""

from __future__ import annotations

import shutil
import tempfile
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlparse

from .errors import TrustListError
from .trust import LOTL_SIGNERS_FOLDER, TrustStore

EU_LOTL_URL = "https://ec.europa.eu/tools/lotl/eu-lotl.xml"
_MAX_LIST_BYTES = 30 * 1024 * 1024

Fetch = Callable[[str], bytes]


def urllib_fetch(url: str) -> bytes:
    """Default fetcher: HTTPS only, bounded size, 30 s timeout."""
    if urlparse(url).scheme not in ("https", "http"):
        raise TrustListError(f"refusing to fetch {url!r}")
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - scheme checked above
        data: bytes = resp.read(_MAX_LIST_BYTES + 1)
    if len(data) > _MAX_LIST_BYTES:
        raise TrustListError(f"{url} is larger than {_MAX_LIST_BYTES} bytes")
    return data


def _get(fetch: Fetch, url: str) -> bytes:
    try:
        return fetch(url)
    except TrustListError:
        raise
    except Exception as exc:
        raise TrustListError(f"could not fetch {url} ({type(exc).__name__})") from exc


def refresh(
    trust_dir: Path,
    *,
    fetch: Fetch = urllib_fetch,
    lotl_url: str = EU_LOTL_URL,
    territories: Iterable[str] | None = ("LV",),
) -> TrustStore:
    """Download, verify, and atomically replace the snapshot in ``trust_dir``.

    :param territories: national lists to fetch (``None``: every list the LOTL points to).
    :raises TrustListError: anything failed; ``trust_dir`` is unchanged.
    """
    from pyhanko.sign.validation.qualified import eutl_parse

    trust_dir = Path(trust_dir)
    pinned = sorted(p for p in trust_dir.rglob("*.pem") if p.parent.name == LOTL_SIGNERS_FOLDER)
    if not pinned:
        raise TrustListError(f"no pinned LOTL signers under {trust_dir}")
    wanted = {t.upper() for t in territories} if territories is not None else None
    staging = Path(tempfile.mkdtemp(prefix=".trust-new-", dir=trust_dir.parent))
    try:
        (staging / LOTL_SIGNERS_FOLDER).mkdir()
        for pem in pinned:
            shutil.copy2(pem, staging / LOTL_SIGNERS_FOLDER / pem.name)
        lotl_bytes = _get(fetch, lotl_url)
        (staging / "eu-lotl.xml").write_bytes(lotl_bytes)
        try:
            parsed = eutl_parse.parse_lotl_unsafe(lotl_bytes.decode("utf-8"))
        except Exception as exc:
            raise TrustListError(f"downloaded LOTL is not a trusted list ({type(exc).__name__})") from exc
        (staging / "lotl-pivots").mkdir()
        for url in parsed.pivot_urls:
            name = Path(urlparse(url).path).name or "pivot.xml"
            (staging / "lotl-pivots" / name).write_bytes(_get(fetch, url))
        (staging / "tl").mkdir()
        fetched: set[str] = set()
        for ref in parsed.references:
            if ref.territory == "EU" or (wanted is not None and ref.territory not in wanted):
                continue
            (staging / "tl" / f"{ref.territory}.xml").write_bytes(_get(fetch, ref.location_uri))
            fetched.add(ref.territory)
        if wanted is not None and wanted - fetched:
            raise TrustListError(f"the LOTL has no pointer for {sorted(wanted - fetched)}")
        store = TrustStore.from_directory(staging)
        loaded = {item.territory for item in store.lists if item.kind == "tl"}
        if fetched - loaded:
            raise TrustListError(f"national list(s) {sorted(fetched - loaded)} did not verify")
        _swap(staging, trust_dir)
        return TrustStore.from_directory(trust_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _swap(new: Path, current: Path) -> None:
    """Replace ``current`` by ``new`` with two renames (same filesystem)."""
    backup = current.with_name(current.name + ".old")
    if backup.exists():
        shutil.rmtree(backup)
    current.rename(backup)
    try:
        new.rename(current)
    except OSError:
        backup.rename(current)
        raise
    shutil.rmtree(backup, ignore_errors=True)
