"""Extraction gives the same answer in every run: Python orders sets of words differently
from one process to the next (hash randomisation), and no name or "words" may follow it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

SCRIPT = r"""
import json, sys
sys.path.insert(0, "bench")
from extract_report import rows
from kratomlit.tagging.extract import load_vocabulary
vocabulary = load_vocabulary()
for pmid, *args, abstract in rows(sys.argv[1]):
    print(pmid, json.dumps([vocabulary.extract(*args), vocabulary.matches(*args)],
                           default=lambda e: e.__dict__))
"""


def test_extraction_does_not_depend_on_the_hash_seed(real_db_template: Path) -> None:
    outputs = []
    for seed in ("1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(real_db_template)], env=env,
                              cwd=REPO, capture_output=True, text=True, check=True)
        outputs.append(done.stdout)
    assert outputs[0].count("\n") > 500
    assert outputs[0] == outputs[1] == outputs[2] == outputs[3]
