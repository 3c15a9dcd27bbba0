"""ASiC-E container reading with hardening (ETSI EN 319 162-1 clause 4.4).

``read_asic(data)`` returns an :class:`AsicContainer`: the data files (name ->
bytes) and the signature documents (``META-INF/*signatures*.xml``), or raises
:class:`UnusableInput` / :class:`UnsupportedFormat`. Container problems that do
not prevent reading (a nested container, a missing manifest) are returned as
``notes``; problems that make the container untrustworthy (a deflated or wrong
``mimetype``, ``..`` paths, duplicate names, zip bombs) raise, because no
verdict on such a container could be relied upon.

Limits follow EU DSS defaults (``ZipUtils``): at most 1000 entries, a
compression ratio above 100 is refused once an entry exceeds 1 MB, and the total
uncompressed size is capped.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field

from .errors import UnsupportedFormat, UnusableInput

ASIC_E_MIMETYPE = b"application/vnd.etsi.asic-e+zip"
MAX_ENTRIES = 1000
RATIO_THRESHOLD_BYTES = 1_000_000
MAX_RATIO = 100
MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
_SIGNATURE_NAME_RE = re.compile(r"^META-INF/[^/]*signatures[^/]*\.xml$")
_NESTED_SUFFIXES = (".asice", ".sce", ".edoc", ".bdoc", ".asics", ".scs", ".zip")


@dataclass(frozen=True, slots=True)
class AsicContainer:
    """The readable contents of an ASiC-E container."""

    data_files: dict[str, bytes]
    signature_documents: dict[str, bytes]
    manifest: bytes | None
    comment: str
    notes: tuple[str, ...] = field(default=())

    @property
    def flavour(self) -> str:
        """``EDOC 2.0`` (LVRTC) or ``ASiC-E`` (DSS-style) by the signature file names."""
        if any(n.startswith("META-INF/edoc-signatures") for n in self.signature_documents):
            return "EDOC 2.0"
        return "ASiC-E"


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _check_name(name: str) -> None:
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        raise UnusableInput(f"ASiC entry with an unsafe path {name!r}", format_hint="asic")
    if re.match(r"^[A-Za-z]:", name):
        raise UnusableInput(f"ASiC entry with an absolute path {name!r}", format_hint="asic")
    parts = name.split("/")
    if any(p in ("..", ".") for p in parts) or any(p == "" for p in parts[:-1]):
        raise UnusableInput(f"ASiC entry with a relative or empty path segment {name!r}", format_hint="asic")


def _open_zip(data: bytes) -> zipfile.ZipFile:
    if not is_zip(data):
        raise UnusableInput("not a ZIP container", format_hint="asic")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError) as exc:
        raise UnusableInput("damaged ZIP container", format_hint="asic") from exc


def _check_limits(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise UnusableInput(f"ZIP has {len(infos)} entries (limit {MAX_ENTRIES})", format_hint="asic")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_THRESHOLD_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UnusableInput(
                f"ZIP entry {info.filename!r} exceeds compression ratio {MAX_RATIO}", format_hint="asic"
            )
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise UnusableInput("ZIP uncompressed size over the limit", format_hint="asic")


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    # Read with a hard cap: the declared size in the header may lie.
    cap = info.file_size
    try:
        with zf.open(info) as fh:
            content = fh.read(cap + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, ValueError, zlib.error) as exc:
        raise UnusableInput(f"ZIP entry {info.filename!r} cannot be read", format_hint="asic") from exc
    if len(content) > cap:
        raise UnusableInput(f"ZIP entry {info.filename!r} is larger than declared", format_hint="asic")
    return content


def read_asic(data: bytes) -> AsicContainer:
    """Read an ASiC-E container, enforcing EN 319 162-1 rules and DSS ZIP limits.

    :raises UnsupportedFormat: legacy EDOC 1.x (``_rels/``, ``EDoc/``) or ASiC-S.
    :raises UnusableInput: not a ZIP, unsafe paths, duplicates, bombs, bad mimetype.
    """
    zf = _open_zip(data)
    with zf:
        infos = zf.infolist()
        _check_limits(infos)
        names = [i.filename for i in infos]
        if any(n.startswith(("_rels/", "EDoc/")) for n in names) or "[Content_Types].xml" in names:
            raise UnsupportedFormat(
                "legacy EDOC 1.x container (before 2017) is not supported; ask for an EDOC 2.0/ASiC-E file",
                format_hint="edoc-1.x",
            )
        if len(set(names)) != len(names):
            raise UnusableInput("ZIP has duplicate entry names", format_hint="asic")
        if len({n.casefold() for n in names}) != len(names):
            raise UnusableInput("ZIP has entry names differing only in case", format_hint="asic")
        for name in names:
            _check_name(name)
        if not infos or infos[0].filename != "mimetype":
            raise UnusableInput("ASiC: 'mimetype' is missing or not the first entry", format_hint="asic")
        mime_info = infos[0]
        if mime_info.compress_type != zipfile.ZIP_STORED:
            raise UnusableInput("ASiC: 'mimetype' must be stored, not compressed", format_hint="asic")
        mimetype = _read_entry(zf, mime_info)
        if mimetype == b"application/vnd.etsi.asic-s+zip":
            raise UnsupportedFormat("ASiC-S containers are not supported", format_hint="asic-s")
        if mimetype != ASIC_E_MIMETYPE:
            raise UnusableInput("ASiC: 'mimetype' has the wrong value", format_hint="asic")
        data_files: dict[str, bytes] = {}
        sig_docs: dict[str, bytes] = {}
        manifest: bytes | None = None
        notes: list[str] = []
        for info in infos[1:]:
            if info.is_dir():
                continue
            name = info.filename
            content = _read_entry(zf, info)
            if name.startswith("META-INF/"):
                if _SIGNATURE_NAME_RE.match(name):
                    sig_docs[name] = content
                elif name == "META-INF/manifest.xml":
                    manifest = content
                else:
                    notes.append(f"META-INF entry {name!r} ignored")
                continue
            data_files[name] = content
            if name.lower().endswith(_NESTED_SUFFIXES) or is_zip(content[:4]):
                notes.append(f"data file {name!r} is itself a container; its contents are not validated")
        if manifest is None:
            notes.append("META-INF/manifest.xml is missing")
        comment = zf.comment.decode("utf-8", "replace")
    if not sig_docs:
        raise UnusableInput("ASiC-E container has no META-INF/*signatures*.xml", format_hint="asic")
    return AsicContainer(data_files, dict(sorted(sig_docs.items())), manifest, comment, tuple(notes))
