"""What users read: the study selection, terminal tables and views, exports, the gap map."""
