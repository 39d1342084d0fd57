"""The at-risk model: Telco CV ROC-AUC, skops round trip with a trusted list, training from
store features, and reasons that agree with the model's own contributions."""

from __future__ import annotations

import operator
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sqlalchemy.orm import Session, sessionmaker

from classifiers.risk import explain
from classifiers.risk.detect import detect
from classifiers.risk.features import FeatureWindows, compute_features
from classifiers.risk.lapse import LapseContext
from classifiers.risk.model import RiskModel, load_risk_model, save_risk_model, train_risk_model
from classifiers.risk.model_frame import scoring_frame
from classifiers.risk.rules import load_rules
from classifiers.risk.training import LabelsFileError, TrainingSet, training_set
from tests.support.detect_data import AS_OF, StoreBuilder

TELCO = Path(__file__).resolve().parents[1] / "winback/sample_data/telco/telco_churn_train.csv"
RULES = load_rules()


@pytest.fixture(scope="module")
def telco() -> tuple[TrainingSet, RiskModel]:
    data = training_set(TELCO, sessionmaker(), RULES, AS_OF)  # tabular: the store is not read
    return data, train_risk_model(data.frame, data.labels, data.numeric, data.categorical, "telco")


def test_telco_cv_roc_auc_and_skops_round_trip(
    telco: tuple[TrainingSet, RiskModel], tmp_path: Path
) -> None:
    data, model = telco
    assert data.source == "tabular" and len(data.labels) == 4930
    assert "tenure" in data.numeric and "Contract" in data.categorical
    card = model.card
    print(
        f"Telco 5-fold CV: ROC-AUC {card['cv_roc_auc']}, PR-AUC {card['cv_pr_auc']}, "
        f"Brier {card['cv_brier']}"
    )
    assert card["cv_roc_auc"] >= 0.84
    assert 0.55 < card["cv_pr_auc"] < 0.8 and card["cv_brier"] < 0.16
    assert len(str(card["data_sha256"])) == 64 and "sklearn" in card["versions"]

    save_risk_model(model, tmp_path)
    loaded = load_risk_model(tmp_path)
    sample = data.frame.head(50)
    assert np.allclose(loaded.predict_proba(sample), model.predict_proba(sample))
    # Contributions add up to the log-odds (up to the intercept and the training mean).
    p = loaded.predict_proba(sample)
    logit = np.log(p / (1 - p))
    spread = logit - loaded.contributions(sample).sum(axis=1).to_numpy()
    assert np.allclose(spread, spread[0])


def test_loading_refuses_types_outside_the_trusted_list(tmp_path: Path) -> None:
    sio.dump(Pipeline([("neg", FunctionTransformer(operator.neg))]), tmp_path / "model.skops")
    (tmp_path / "card.json").write_text('{"features": {"numeric": [], "categorical": []}}')
    with pytest.raises(ValueError, match=r"untrusted types \['_operator.neg'\]"):
        load_risk_model(tmp_path)


def test_bad_labels_name_file_row_and_field(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_text("external_id,churned\na,yes\nb,maybe\n")
    with pytest.raises(LabelsFileError, match=r"labels.csv: row 3, field 'churned': 'maybe'"):
        training_set(bad, sqlite_sessions, RULES, AS_OF)
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("external_id,churned\nnobody,1\n")
    with pytest.raises(LabelsFileError, match=r"row 2, field 'external_id'.*not in the store"):
        training_set(unknown, sqlite_sessions, RULES, AS_OF)


def test_model_from_store_features_flags_with_consistent_reasons(
    sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = ["external_id,churned"]
    with sqlite_sessions.begin() as session:
        b = StoreBuilder(session)
        for i in range(60):
            churned = i % 3 == 0
            c = b.customer(f"m{i}", value_per_year=1000.0 + i)
            b.rhythm(c, 7, (30 + i % 7) if churned else (1 + i % 5), 8)
            for k in range(3 if churned else i % 2):
                b.complaint(c, 2 + k, "billing")
            rows.append(f"m{i},{int(churned)}")
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(rows) + "\n")
    data = training_set(labels, sqlite_sessions, RULES, AS_OF)
    assert data.source == "store" and "silent_days" in data.numeric
    model = train_risk_model(data.frame, data.labels, data.numeric, data.categorical, "store")
    assert model.card["cv_roc_auc"] > 0.9

    windows = FeatureWindows(as_of=AS_OF, activity_kinds=RULES.activity_kinds())
    with sqlite_sessions() as session:
        frame = compute_features(session, 0, 10**9, windows)
    lapse = LapseContext({}, 7.0, None)
    batch = detect(frame, AS_OF, RULES, lapse, model, "v-test")
    at_risk = {d.external_id: d for d in batch.detections if d.kind == "at_risk"}
    churned = {f"m{i}" for i in range(60) if i % 3 == 0}
    assert at_risk and set(at_risk) <= churned
    contributions = model.contributions(scoring_frame(frame)).set_axis(frame["external_id"])
    by_id = frame.set_index("external_id")
    for name, flag in at_risk.items():
        assert flag.detector == "model:v-test"
        row, parts = by_id.loc[name], contributions.loc[name]
        # Each reason is said once, from the numbers the model scored, for a group that
        # raised this customer's risk.
        said = {
            explain.describe_activity(
                float(row["own_gap_days"]), float(row["silent_days"]), False
            ): parts[["silent_days", "n_days", "own_gap_days", "events_recent"]].sum(),
            explain.describe_usage(float(row["usage_change_pct"]), 28): parts["usage_change_pct"],
            explain.describe_complaints(3, {"billing": 3}, 30): parts["complaints:billing"]
            + parts["complaint_n"],
            explain.describe_tenure(float(row["tenure_days"])): parts["tenure_days"],
        }
        assert flag.reasons and len(set(flag.reasons)) == len(flag.reasons)
        for reason in flag.reasons:
            assert reason in said, reason
            assert said[reason] > 0, reason


def test_telco_model_scores_customers_with_attributes_rules_the_rest(
    telco: tuple[TrainingSet, RiskModel], sqlite_sessions: sessionmaker[Session]
) -> None:
    _data, model = telco
    risky = {
        "gender": "Female",
        "SeniorCitizen": 1,
        "Partner": "No",
        "Dependents": "No",
        "tenure": 1,
        "PhoneService": "Yes",
        "MultipleLines": "No",
        "InternetService": "Fiber optic",
        "OnlineSecurity": "No",
        "OnlineBackup": "No",
        "DeviceProtection": "No",
        "TechSupport": "No",
        "StreamingTV": "Yes",
        "StreamingMovies": "Yes",
        "Contract": "Month-to-month",
        "PaperlessBilling": "Yes",
        "PaymentMethod": "Electronic check",
        "MonthlyCharges": 95.0,
        "TotalCharges": 95.0,
    }
    loyal = {
        **risky,
        "tenure": 70,
        "Contract": "Two year",
        "PaymentMethod": "Credit card (automatic)",
        "InternetService": "DSL",
        "TechSupport": "Yes",
        "OnlineSecurity": "Yes",
        "TotalCharges": 5000.0,
        "SeniorCitizen": 0,
        "Partner": "Yes",
    }
    with sqlite_sessions.begin() as session:
        b = StoreBuilder(session)
        b.customer("telco-risky", has_contract=True, attributes=risky, value_per_year=1140.0)
        b.customer("telco-loyal", has_contract=True, attributes=loyal)
        payer = b.customer("no-attributes")
        b.rhythm(payer, 7, 2, 10)
        b.event(payer, 3, "payment_failed", amount=0)
        b.event(payer, 4, "payment_failed", amount=0)
        b.event(payer, 5, "payment_failed", amount=0)
    windows = FeatureWindows(as_of=AS_OF, activity_kinds=RULES.activity_kinds())
    with sqlite_sessions() as session:
        frame = compute_features(session, 0, 10**9, windows)
    flags = {
        d.external_id: d
        for d in detect(frame, AS_OF, RULES, LapseContext({}, 7.0, None), model, "v9").detections
    }
    assert set(flags) == {"telco-risky", "no-attributes"}
    risky_flag = flags["telco-risky"]
    assert risky_flag.kind == "at_risk" and risky_flag.detector == "model:v9"
    assert risky_flag.probability > 0.7
    assert "Contract: Month-to-month" in risky_flag.reasons
    assert flags["no-attributes"].detector == "rules"
    assert flags["no-attributes"].reasons == ["payment failed 3 times in 90 days"]
