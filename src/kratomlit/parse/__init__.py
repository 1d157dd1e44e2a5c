"""Readers: every file format a review's databases export, turned into ``records.Paper``."""
