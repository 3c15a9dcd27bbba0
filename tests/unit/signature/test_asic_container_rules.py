"""ASiC-E container rules and ZIP hardening (EN 319 162-1, docs/signatures.md §Attacks covered).

An impostor crafts containers by hand; each trick must end in UnusableInput or
UnsupportedFormat, never in a verdict built on a doubtful container.
"""

from __future__ import annotations

import io
import warnings
import zipfile

import pytest

from signature.asic import ASIC_E_MIMETYPE, read_asic
from signature.errors import UnsupportedFormat, UnusableInput

SIG = b"<asic:XAdESSignatures xmlns:asic='http://uri.etsi.org/02918/v1.2.1#'/>"


def _zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names warn in zipfile
        with zipfile.ZipFile(out, "w") as zf:
            for name, content, method in entries:
                info = zipfile.ZipInfo(name)
                info.compress_type = method
                zf.writestr(info, content)
    return out.getvalue()


def _good(*extra: tuple[str, bytes, int]) -> list[tuple[str, bytes, int]]:
    return [
        ("mimetype", ASIC_E_MIMETYPE, zipfile.ZIP_STORED),
        ("doc.txt", b"hello", zipfile.ZIP_DEFLATED),
        ("META-INF/signatures0.xml", SIG, zipfile.ZIP_DEFLATED),
        *extra,
    ]


def test_well_formed_container_yields_data_files_and_signatures() -> None:
    c = read_asic(_zip(_good()))
    assert list(c.data_files) == ["doc.txt"]
    assert list(c.signature_documents) == ["META-INF/signatures0.xml"]


def test_edoc_signature_name_is_recognised_as_edoc_2() -> None:
    entries = [("mimetype", ASIC_E_MIMETYPE, 0), ("META-INF/edoc-signatures-S1.xml", SIG, 8)]
    assert read_asic(_zip(entries)).flavour == "EDOC 2.0"


def test_not_a_zip_is_unusable() -> None:
    with pytest.raises(UnusableInput):
        read_asic(b"hello, I am a letter")


def test_truncated_zip_is_unusable() -> None:
    with pytest.raises(UnusableInput):
        read_asic(_zip(_good())[:60])


def test_missing_mimetype_is_unusable() -> None:
    with pytest.raises(UnusableInput):
        read_asic(_zip(_good()[1:]))


def test_mimetype_not_first_is_unusable() -> None:
    entries = _good()
    with pytest.raises(UnusableInput):
        read_asic(_zip([entries[1], entries[0], entries[2]]))


def test_deflated_mimetype_is_unusable() -> None:
    entries = _good()
    entries[0] = ("mimetype", ASIC_E_MIMETYPE, zipfile.ZIP_DEFLATED)
    with pytest.raises(UnusableInput):
        read_asic(_zip(entries))


def test_wrong_mimetype_value_is_unusable() -> None:
    entries = _good()
    entries[0] = ("mimetype", b"application/zip", zipfile.ZIP_STORED)
    with pytest.raises(UnusableInput):
        read_asic(_zip(entries))


def test_duplicated_mimetype_is_unusable() -> None:
    with pytest.raises(UnusableInput):
        read_asic(_zip(_good(("mimetype", ASIC_E_MIMETYPE, 0))))


@pytest.mark.parametrize(
    "name", ["../evil.txt", "/etc/passwd", "a\\b.txt", "dir//x.txt", "C:/x.txt", "a/./b.txt", "a/../../b"]
)
def test_unsafe_entry_paths_are_unusable(name: str) -> None:
    with pytest.raises(UnusableInput):
        read_asic(_zip(_good((name, b"x", 8))))


def test_duplicate_data_file_names_are_unusable() -> None:
    with pytest.raises(UnusableInput):
        read_asic(_zip(_good(("doc.txt", b"other", 8))))


def test_names_differing_only_in_case_are_unusable() -> None:
    with pytest.raises(UnusableInput):
        read_asic(_zip(_good(("DOC.txt", b"other", 8))))


def test_zip_bomb_over_the_compression_ratio_is_unusable() -> None:
    with pytest.raises(UnusableInput):
        read_asic(_zip(_good(("bomb.bin", b"\0" * 5_000_000, zipfile.ZIP_DEFLATED))))


def test_too_many_entries_is_unusable() -> None:
    many = [(f"f{i}.txt", b"x", 0) for i in range(1001)]
    with pytest.raises(UnusableInput):
        read_asic(_zip(_good(*many)))


def test_legacy_edoc_1_is_unsupported_and_named() -> None:
    entries = [("_rels/.rels", b"<x/>", 8), ("EDoc/doc.txt", b"x", 8)]
    with pytest.raises(UnsupportedFormat, match=r"EDOC 1\.x"):
        read_asic(_zip(entries))


def test_container_without_signatures_is_unusable() -> None:
    with pytest.raises(UnusableInput):
        read_asic(_zip(_good()[:2]))


def test_nested_container_is_noted() -> None:
    inner = _zip(_good())
    c = read_asic(_zip(_good(("inner.asice", inner, 8))))
    assert any("inner.asice" in note for note in c.notes)
