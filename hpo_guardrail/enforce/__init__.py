"""The Lambda's door: read the event, evaluate, decide, record, act (service, audit, alerts, ports)."""
