"""boto3 adapters behind the service's ports. Each declares the IAM actions it needs as PERMISSIONS;
a test holds template.yaml to those declarations."""
