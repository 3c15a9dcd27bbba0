"""Reading the trust snapshot: LOTL pivots, LOTLs and the LV list verified as of issue (TS 119 612)."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from signature.errors import TrustListError
from signature.trust import TrustStore
from signature.trust_refresh import refresh

VECTORS = Path(__file__).resolve().parents[3] / ".." / "shared" / "testvectors"
pytestmark = pytest.mark.skipif(not VECTORS.is_dir(), reason="../shared/testvectors is absent")


@functools.lru_cache(maxsize=1)
def _store() -> TrustStore:
    return TrustStore.from_directory(VECTORS / "trust")


def test_latvian_list_verifies_as_of_its_issue_date_although_its_signer_expired() -> None:
    assert [(x.territory, x.sequence) for x in _store().lists if x.kind == "tl"] == [("LV", 41)]


def test_latvian_eid_ca_and_tsa_are_known_qualified_services() -> None:
    names = {c.subject.native["common_name"] for c in _store().trust_roots()}
    assert {"LV eID ICA 2021", "eParaksts TSA A 2021"} <= names


def test_demo_ca_pem_outside_lotl_signers_is_ignored_with_a_note() -> None:
    assert any("DEMO_LV_eID_ICA_2021.pem" in note for note in _store().notes)
    assert "DEMO LV eID ICA 2021" not in {c.subject.native["common_name"] for c in _store().trust_roots()}


def test_missing_directory_is_a_trust_list_error(tmp_path: Path) -> None:
    with pytest.raises(TrustListError):
        TrustStore.from_directory(tmp_path / "nope")


def test_directory_without_pinned_signers_is_a_trust_list_error(tmp_path: Path) -> None:
    shutil.copy(VECTORS / "trust" / "2023" / "eu-lotl-seq332.xml", tmp_path)
    with pytest.raises(TrustListError):
        TrustStore.from_directory(tmp_path)


def test_tampered_national_list_is_not_loaded(tmp_path: Path) -> None:
    shutil.copytree(VECTORS / "trust" / "lotl-signers", tmp_path / "lotl-signers")
    shutil.copytree(VECTORS / "trust" / "lotl-pivots", tmp_path / "lotl-pivots")
    shutil.copy(VECTORS / "trust" / "2023" / "eu-lotl-seq332.xml", tmp_path)
    tl = (VECTORS / "trust" / "2023" / "LV-TL-seq41.xml").read_text("utf-8")
    (tmp_path / "lv.xml").write_text(tl.replace("LV eID ICA 2021", "LV eID ICA 2099", 1), "utf-8")
    store = TrustStore.from_directory(tmp_path)
    assert not store.has_trusted_lists


@pytest.fixture
def list_server() -> Iterator[str]:
    """Serves the 2023 LOTL, its pivots and the LV list on 127.0.0.1 (ephemeral port)."""
    files = {
        "eu-lotl.xml": VECTORS / "trust" / "2023" / "eu-lotl-seq332.xml",
        "latvian-tsl.xml": VECTORS / "trust" / "2023" / "LV-TL-seq41.xml",
        **{p.name: p for p in (VECTORS / "trust" / "lotl-pivots").glob("*.xml")},
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = files.get(self.path.lstrip("/"))
            if path is None:
                self.send_error(404)
                return
            body = path.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _local_fetch(base: str):  # type: ignore[no-untyped-def]
    def fetch(url: str) -> bytes:
        with urllib.request.urlopen(f"{base}/{Path(urlparse(url).path).name}", timeout=10) as resp:
            return bytes(resp.read())

    return fetch


def _seed(tmp_path: Path) -> Path:
    trust = tmp_path / "trust"
    shutil.copytree(VECTORS / "trust" / "lotl-signers", trust / "lotl-signers")
    (trust / "marker").write_text("old snapshot")
    return trust


def test_refresh_replaces_the_snapshot_when_everything_verifies(tmp_path: Path, list_server: str) -> None:
    trust = _seed(tmp_path)
    store = refresh(trust, fetch=_local_fetch(list_server), lotl_url=f"{list_server}/eu-lotl.xml")
    assert [(x.territory, x.sequence) for x in store.lists if x.kind == "tl"] == [("LV", 41)]
    assert not (trust / "marker").exists()


def test_refresh_keeps_the_old_snapshot_when_a_fetch_fails(tmp_path: Path) -> None:
    trust = _seed(tmp_path)

    def failing(url: str) -> bytes:
        raise OSError("network down")

    with pytest.raises(TrustListError):
        refresh(trust, fetch=failing)
    assert (trust / "marker").read_text() == "old snapshot"


def test_refresh_keeps_the_old_snapshot_when_the_national_list_is_forged(tmp_path: Path, list_server: str) -> None:
    trust = _seed(tmp_path)
    genuine = _local_fetch(list_server)

    def forging(url: str) -> bytes:
        data = genuine(url)
        return data.replace(b"LV eID ICA 2021", b"LV eID ICA 2099", 1) if "latvian" in url else data

    with pytest.raises(TrustListError):
        refresh(trust, fetch=forging, lotl_url=f"{list_server}/eu-lotl.xml")
    assert (trust / "marker").read_text() == "old snapshot"
