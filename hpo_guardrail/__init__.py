"""HPO Guardrail application layer: the service that runs the rules against AWS through small ports."""
