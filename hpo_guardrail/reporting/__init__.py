"""The audit report: figures from audit records, HTML/Markdown/CSV/JSON rendering, the weekly reporter."""
