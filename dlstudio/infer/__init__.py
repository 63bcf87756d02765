"""Using a trained model: predictions from a checkpoint, with the training preprocessing,
and its evaluation over a split of its data."""

from dlstudio.infer.evaluate import (
    ClassRow,
    Evaluation,
    EvaluationError,
    EvaluationStopped,
    evaluate_checkpoint,
)
from dlstudio.infer.predict import (
    ClassProbability,
    PredictError,
    Prediction,
    Predictor,
    match_polarity,
)

__all__ = ["ClassProbability", "ClassRow", "Evaluation", "EvaluationError",
           "EvaluationStopped", "PredictError", "Prediction", "Predictor",
           "evaluate_checkpoint", "match_polarity"]
