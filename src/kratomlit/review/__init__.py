"""Screening for a systematic review: decisions, duplicates, the PRISMA flow, ranking."""
