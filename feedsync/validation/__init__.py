"""Validation: issue records, the JSON Schema compiler, semantic checks and the Report."""
