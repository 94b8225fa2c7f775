"""The interchange layer: departments' CSV and Excel files in, checked, and out again."""
