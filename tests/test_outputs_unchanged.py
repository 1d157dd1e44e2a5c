"""Every reading command prints, on the real records, what it printed when the hashes in
tests/golden/outputs.json were recorded (see tests/golden/record.py): a restructuring or
refactoring must not change a byte of it, apart from timestamps and paths."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from golden.record import HASHES, build, hashes, outputs

from conftest import needs_pubmed

pytestmark = needs_pubmed


def test_outputs_match_the_recorded_hashes(tmp_path: Path) -> None:
    # in a folder like the one record.py used: a longer path (pytest's, per worker under
    # xdist) wraps differently on a terminal
    with tempfile.TemporaryDirectory() as tmp:
        found = outputs(Path(tmp), build(Path(tmp)))
    recorded = json.loads(HASHES.read_text("utf-8"))
    assert sorted(found) == sorted(recorded)
    actual = hashes(found)
    changed = sorted(name for name in recorded if actual[name] != recorded[name])
    if changed:
        dump = tmp_path / "actual"
        dump.mkdir()
        for name in changed:
            (dump / name).write_text(found[name], "utf-8")
        raise AssertionError(
            f"{len(changed)} outputs changed: {', '.join(changed)}; this run's are in {dump} "
            "(python tests/golden/record.py --dump DIR on the old commit writes the old ones)")
