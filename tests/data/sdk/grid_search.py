"""Grid search over categorical values: the SDK leaves MaxNumberOfTrainingJobs out."""

from sagemaker.estimator import Estimator
from sagemaker.tuner import CategoricalParameter, HyperparameterTuner

estimator = Estimator(
    image_uri="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    role="arn:aws:iam::111122223333:role/SageMakerRole",
    instance_count=1,
    instance_type="ml.m5.xlarge",
    max_run=3600,
)

tuner = HyperparameterTuner(
    estimator,
    "validation:rmse",
    {
        "max_depth": CategoricalParameter([3, 5, 7, 9]),
        "eta": CategoricalParameter(["0.01", "0.1", "0.3"]),
    },
    strategy="Grid",
    objective_type="Minimize",
    max_parallel_jobs=4,
    max_runtime_in_seconds=7200,
)
