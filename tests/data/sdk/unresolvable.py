"""Values the linter cannot know without running the code: reported as unknown, never guessed."""

import argparse

from sagemaker.estimator import Estimator
from sagemaker.tuner import ContinuousParameter, HyperparameterTuner


def pick_instance_type():
    return "ml.p4d.24xlarge"


args = argparse.ArgumentParser().parse_args()

estimator = Estimator(
    image_uri="683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
    role="arn:aws:iam::111122223333:role/SageMakerRole",
    instance_count=1,
    instance_type=pick_instance_type(),
)

tuner = HyperparameterTuner(
    estimator,
    "validation:auc",
    {"eta": ContinuousParameter(0, 1)},
    max_jobs=args.max_jobs,
)
