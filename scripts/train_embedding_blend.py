"""Train and save the optional TF-IDF + static-embedding model on a labelled CSV.

Usage: python scripts/train_embedding_blend.py --embeddings DIR --data CSV --out DIR [--tune]
--embeddings is a folder written by scripts/distill_static_embeddings.py; --tune fine-tunes the
vectors on the data first (needs torch, a few minutes on two cores). Labels are used as given.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--embeddings", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--text-col", default="text")
    parser.add_argument("--label-col", default="category")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--weight", type=float, help="embedding weight (default: 1 tuned, 2 not)")
    args = parser.parse_args()

    from classifiers.text.blend import EmbeddingBlendModel
    from classifiers.text.data import read_labelled_csv
    from classifiers.text.static_embeddings import StaticEmbedder

    rows = read_labelled_csv(args.data, args.text_col, args.label_col)
    texts, labels = rows.texts, rows.labels
    embedder = StaticEmbedder.load(args.embeddings)
    started = time.perf_counter()
    if args.tune:
        from classifiers.text.tune_embeddings import tune_embedder

        embedder = tune_embedder(embedder, texts, labels)
    weight = args.weight if args.weight is not None else (1.0 if args.tune else 2.0)
    model = EmbeddingBlendModel(embedder, embedding_weight=weight).fit(texts, labels)
    model.save(args.out)
    summary = {"rows": len(texts), "tuned": args.tune, "weight": weight}
    summary["train_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
