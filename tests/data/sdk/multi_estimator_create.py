"""Two algorithms in one tuning job with HyperparameterTuner.create (in the style of the public examples)."""

from sagemaker.estimator import Estimator
from sagemaker.sklearn import SKLearn
from sagemaker.tuner import ContinuousParameter, HyperparameterTuner, IntegerParameter

role = "arn:aws:iam::111122223333:role/SageMakerRole"

image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
xgboost = Estimator(image, role, 1, "ml.m5.xlarge")
forest = SKLearn(
    entry_point="forest.py", role=role, framework_version="1.2-1", instance_type="ml.c5.xlarge", instance_count=2
)

tuner = HyperparameterTuner.create(
    estimator_dict={"xgboost": xgboost, "random-forest": forest},
    objective_metric_name_dict={"xgboost": "validation:auc", "random-forest": "validation:auc"},
    hyperparameter_ranges_dict={
        "xgboost": {"eta": ContinuousParameter(0.001, 1), "max_depth": IntegerParameter(2, 10)},
        "random-forest": {"n-estimators": IntegerParameter(10, 200)},
    },
    strategy="Random",
    max_jobs=30,
    max_parallel_jobs=5,
    max_runtime_in_seconds=36000,
)
