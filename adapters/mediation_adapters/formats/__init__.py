"""Output formats: the auditor's export (JSON Lines) and the report renderers."""
