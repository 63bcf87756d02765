"""Using a trained model: predictions from a checkpoint, with the training preprocessing."""

from dlstudio.infer.predict import (
    ClassProbability,
    PredictError,
    Prediction,
    Predictor,
    match_polarity,
)

__all__ = ["ClassProbability", "PredictError", "Prediction", "Predictor", "match_polarity"]
