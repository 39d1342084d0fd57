"""Texts that trip text handling: empty, whitespace runs, accents, other scripts, URLs."""

from pathlib import Path

BANKING77_TRAIN = Path(__file__).resolve().parents[2] / "winback/sample_data/banking77/train.csv"

AWKWARD_TEXTS = [
    "",
    "   ",
    "Hello\n\nWORLD  \t it's I'm can't won't",
    "naïve café’s CAFÉ İstanbul ÄPFEL were running, mice; geese!",
    "\u2003x\u00a0y\u3000z",
    "a",
    "ab cd",
    "x" * 60,
    "U.S.A. e-mail don't @user #tag https://example.com/a?b=c",
    "Ich habe meine Karte verloren. 我的卡丢了。",
    "zzzqqq never-seen-before wordsss",
]
