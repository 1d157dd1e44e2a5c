"""Study-design and outcome tagging, pure: the taxonomy, rules as data, the engine that applies
them, participant counts, extraction and evaluation (no store, no I/O beyond reading rules)."""
