"""Hugging Face fine-tuning with a bounded tuning job (in the style of the public SageMaker examples)."""

from sagemaker.huggingface import HuggingFace
from sagemaker.tuner import ContinuousParameter, HyperparameterTuner, IntegerParameter

hyperparameters = {"epochs": 1, "train_batch_size": 32, "model_name": "distilbert-base-uncased"}

huggingface_estimator = HuggingFace(
    entry_point="train.py",
    source_dir="./scripts",
    instance_type="ml.p3.2xlarge",
    instance_count=1,
    role="arn:aws:iam::111122223333:role/SageMakerRole",
    transformers_version="4.26",
    pytorch_version="1.13",
    py_version="py39",
    hyperparameters=hyperparameters,
    max_run=2 * 60 * 60,  # two hours per training job
)

tuner = HyperparameterTuner(
    huggingface_estimator,
    objective_metric_name="eval_loss",
    objective_type="Minimize",
    hyperparameter_ranges={
        "learning_rate": ContinuousParameter(5e-5, 5e-3, scaling_type="Logarithmic"),
        "warmup_steps": IntegerParameter(0, 500),
    },
    metric_definitions=[{"Name": "eval_loss", "Regex": "eval_loss.*=\\D*(.*?)$"}],
    max_jobs=8,
    max_parallel_jobs=2,
    max_runtime_in_seconds=8 * 60 * 60,
)
