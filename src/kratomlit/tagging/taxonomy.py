"""The tag vocabulary (TAXONOMY.md), in one place: every module and help text takes it from here.

No imports, so anything may read it cheaply (the CLI's help included).
"""

from __future__ import annotations

# The taxonomy's order: when rules of equal priority disagree on the design, the first in
# this order wins; tables and maps list designs strongest first in the same order.
DESIGNS = ("meta-analysis", "systematic-review", "rct", "controlled-trial", "cohort",
           "case-control", "cross-sectional", "qualitative", "case-report", "animal",
           "in-vitro", "review", "other")
OUTCOMES = ("mood", "social", "safety", "legal")
POPULATIONS = ("human", "animal", "in-vitro")
# A paper with no design tag yet, where designs are listed or chosen.
UNTAGGED = "untagged"

# Who the design studies, for the evidence table's population column (the population is
# not tagged by rules of its own: it follows from the design).
POPULATION_OF = {"animal": "animal", "in-vitro": "in-vitro", "review": None,
                 "systematic-review": None, "meta-analysis": None, "other": None}

# Short forms for narrow terminals (the map's column headers, the table's design column).
SHORT_DESIGN = {"meta-analysis": "MA", "systematic-review": "SR", "rct": "RCT",
                "controlled-trial": "CT", "cohort": "Coh", "case-control": "CC",
                "cross-sectional": "XS", "qualitative": "Qual", "case-report": "CR",
                "animal": "Anim", "in-vitro": "InV", "review": "Rev", "other": "Oth",
                UNTAGGED: "?"}

# Designs grouped by strength of evidence, strongest first (the gap map's columns);
# "untagged" sits with "other".
FAMILIES = (
    ("Syntheses", ("meta-analysis", "systematic-review")),
    ("Trials", ("rct", "controlled-trial")),
    ("Observational", ("cohort", "case-control", "cross-sectional", "qualitative")),
    ("Case reports", ("case-report",)),
    ("Animal and in vitro", ("animal", "in-vitro")),
    ("Reviews and other", ("review", "other", UNTAGGED)),
)


def population(design: str) -> str | None:
    """The population a design implies: animal, in-vitro, human, or none (no data)."""
    return POPULATION_OF.get(design, "human")
