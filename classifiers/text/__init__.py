"""Text classification: feedback text -> taxonomy category and journey stage."""

from classifiers.text.evaluation import EvaluationReport, evaluate_model, evaluate_predictions
from classifiers.text.features import MAX_TEXT_CHARS
from classifiers.text.model import CategoryModel, ModelFileError, Prediction
from classifiers.text.training import (
    TrainingDataError,
    TrainingOptions,
    build_estimator,
    train_category_model,
)

__all__ = [
    "MAX_TEXT_CHARS",
    "CategoryModel",
    "EvaluationReport",
    "ModelFileError",
    "Prediction",
    "TrainingDataError",
    "TrainingOptions",
    "build_estimator",
    "evaluate_model",
    "evaluate_predictions",
    "train_category_model",
]
