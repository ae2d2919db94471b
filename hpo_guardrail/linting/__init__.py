"""The linter's door: inputs read and recognised, reports per input, fixes, text/JSON/SARIF output."""
