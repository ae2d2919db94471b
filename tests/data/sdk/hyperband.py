"""Hyperband with its strategy configuration and early stopping left on (which Hyperband does not take)."""

from sagemaker.pytorch import PyTorch
from sagemaker.tuner import (
    ContinuousParameter,
    HyperbandStrategyConfig,
    HyperparameterTuner,
    StrategyConfig,
)

estimator = PyTorch(
    entry_point="train.py",
    role="arn:aws:iam::111122223333:role/SageMakerRole",
    framework_version="2.0",
    py_version="py310",
    instance_count=1,
    instance_type="ml.g5.xlarge",
    max_run=3 * 3600,
)

strategy_config = StrategyConfig(hyperband_strategy_config=HyperbandStrategyConfig(max_resource=30, min_resource=1))

tuner = HyperparameterTuner(
    estimator,
    "validation:accuracy",
    {"lr": ContinuousParameter(1e-5, 1e-1, scaling_type="Logarithmic")},
    strategy="Hyperband",
    strategy_config=strategy_config,
    early_stopping_type="Auto",
    max_jobs=50,
    max_parallel_jobs=10,
    max_runtime_in_seconds=86400,
)
