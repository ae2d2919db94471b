"""The v3 API: ModelTrainer with Compute and StoppingCondition (sagemaker.train, sagemaker.core)."""

from sagemaker.core.parameter import ContinuousParameter, IntegerParameter
from sagemaker.core.training.configs import Compute, StoppingCondition
from sagemaker.train import ModelTrainer
from sagemaker.train.tuner import HyperparameterTuner

trainer = ModelTrainer(
    training_image="763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.2-gpu-py310",
    compute=Compute(instance_type="ml.g5.2xlarge", instance_count=1),
    stopping_condition=StoppingCondition(max_runtime_in_seconds=7200),
)

tuner = HyperparameterTuner(
    model_trainer=trainer,
    objective_metric_name="test:loss",
    objective_type="Minimize",
    hyperparameter_ranges={
        "learning_rate": ContinuousParameter(0.00001, 0.1),
        "epochs": IntegerParameter(1, 5),
    },
    max_jobs=6,
    max_parallel_jobs=2,
)
