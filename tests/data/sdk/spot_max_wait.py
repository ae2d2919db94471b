"""Managed spot training with a max_wait (in the style of the public SageMaker examples)."""

from sagemaker.tensorflow import TensorFlow
from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

MAX_RUN = 60 * 60
MAX_WAIT = 2 * MAX_RUN

estimator = TensorFlow(
    entry_point="train.py",
    role="arn:aws:iam::111122223333:role/SageMakerRole",
    framework_version="2.11",
    py_version="py39",
    instance_count=2,
    instance_type="ml.c5.2xlarge",
    use_spot_instances=True,
    max_run=MAX_RUN,
    max_wait=MAX_WAIT,
    checkpoint_s3_uri="s3://my-bucket/checkpoints",
    tags=[{"Key": "team", "Value": "vision"}],
)

tuner = HyperparameterTuner(
    estimator,
    "val_acc",
    {"dropout": ContinuousParameter(0.1, 0.5, "Linear")},
    max_jobs=12,
    max_parallel_jobs=4,
    max_runtime_in_seconds=6 * 3600,
)
