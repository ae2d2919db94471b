"""Tune the built-in XGBoost algorithm (in the style of the public SageMaker examples)."""

import sagemaker
from sagemaker import image_uris
from sagemaker.estimator import Estimator
from sagemaker.tuner import ContinuousParameter, HyperparameterTuner, IntegerParameter

session = sagemaker.Session()
role = sagemaker.get_execution_role()
container = image_uris.retrieve("xgboost", session.boto_region_name, "1.7-1")

xgb = Estimator(
    container,
    role,
    instance_count=1,
    instance_type="ml.m5.xlarge",  # CPU training
    output_path="s3://my-bucket/xgboost/output",
    sagemaker_session=session,
)
xgb.set_hyperparameters(objective="binary:logistic", num_round=100)

hyperparameter_ranges = {
    "eta": ContinuousParameter(0, 1),
    "min_child_weight": ContinuousParameter(1, 10),
    "alpha": ContinuousParameter(0.0001, 2),
    "max_depth": IntegerParameter(1, 10),
}

tuner = HyperparameterTuner(
    xgb,
    "validation:auc",
    hyperparameter_ranges,
    max_jobs=20,
    max_parallel_jobs=3,
)
tuner.fit({"train": "s3://my-bucket/train", "validation": "s3://my-bucket/validation"})
