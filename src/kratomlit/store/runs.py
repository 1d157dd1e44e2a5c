"""Runs: every fetch and import, what each found and changed, and which run is the last."""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kratomlit.errors import Interrupted
from kratomlit.store.connection import Connection, now
from kratomlit.store.papers import SaveCounts


class RunQueries(Connection):

    def start_run(
        self,
        kind: str,
        query: str,
        *,
        mindate: str | None = None,
        maxdate: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> int:
        with self.transaction() as db:
            self._close_dead_runs()
            table = db.table("fetch_runs")
            table.insert(
                {
                    "kind": kind,
                    "query": query,
                    "mindate": mindate,
                    "maxdate": maxdate,
                    "options": json.dumps({**(options or {}), "pid": os.getpid(),
                                           "host": socket.gethostname()}),
                    "started_at": now(),
                    "status": "running",
                }
            )
            return int(table.last_pk)  # type: ignore[arg-type]  # always an int rowid here

    @contextlib.contextmanager
    def recorded_run(self, kind: str, query: str, *, interrupted: Callable[[int], str],
                     failed: Callable[[BaseException], str] = str,
                     tally: Callable[[], dict[str, Any]] = dict, **start: Any
                     ) -> Iterator[int]:
        """A fetch or import run, recorded whatever happens: started here (``start`` as
        ``start_run`` takes it); on Ctrl-C marked interrupted with the note that
        ``interrupted(run_id)`` words, raised as ``Interrupted``; on any other error marked
        failed (``failed`` words it) and re-raised. ``tally``: the counts to record then.
        A run that succeeds is finished by its body."""
        run_id = self.start_run(kind, query, **start)
        try:
            yield run_id
        except KeyboardInterrupt:
            note = interrupted(run_id)
            self.finish_run(run_id, status="interrupted", error=note, **tally())
            raise Interrupted(note) from None
        except BaseException as exc:
            self.finish_run(run_id, status="failed", error=failed(exc), **tally())
            raise

    def _close_dead_runs(self) -> None:
        """Runs left "running" by a process that no longer exists (killed, power cut) are
        marked "interrupted", so the history never shows a dead run as still going."""
        host = socket.gethostname()
        for run_id, options in self.db.execute(
                "SELECT id, options FROM fetch_runs WHERE status = 'running'").fetchall():
            owner = json.loads(options or "{}")
            if owner.get("host") != host or not isinstance(owner.get("pid"), int):
                continue
            try:
                os.kill(owner["pid"], 0)
                continue  # still alive: a concurrent run
            except ProcessLookupError:
                pass
            except PermissionError:
                continue  # alive, owned by someone else
            self.db.execute(
                "UPDATE fetch_runs SET status = 'interrupted', finished_at = ?, error = "
                "'the process ended before the run finished; nothing of it was half-written' "
                "WHERE id = ?", [now(), run_id])

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        counts: SaveCounts | None = None,
        found: int | None = None,
        requests: int | None = None,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "finished_at": now(), "error": error}
        if counts is not None:
            values.update(new=counts.new, updated=counts.updated, unchanged=counts.unchanged,
                          deleted=counts.deleted)
        if found is not None:
            values["found"] = found
        if requests is not None:
            values["requests"] = requests
        with self.transaction() as db:
            db.table("fetch_runs").update(run_id, values)

    def record_hits(self, query: str, pmids: Iterable[int], run_id: int) -> None:
        """Remember that ``query`` returned these PMIDs (first run that saw each is kept)."""
        with self.transaction() as db:
            db.conn.executemany(
                "INSERT INTO query_hits (query, pmid, first_run_id) VALUES (?, ?, ?) "
                "ON CONFLICT (query, pmid) DO NOTHING",
                ((query, pmid, run_id) for pmid in pmids),
            )

    def record_import_hits(self, run_id: int, paper_ids: Iterable[int]) -> None:
        """Remember every paper an import run contained, whether it was new or not."""
        with self.transaction() as db:
            db.conn.executemany(
                "INSERT INTO import_hits (run_id, paper_id) VALUES (?, ?) "
                "ON CONFLICT (run_id, paper_id) DO NOTHING",
                ((run_id, paper_id) for paper_id in paper_ids),
            )

    def run_actions(self, run_id: int) -> dict[str, int]:
        """How many papers a run added, updated and marked deleted, as committed."""
        with self.reading() as db:
            found = dict(db.execute("SELECT action, count(*) FROM run_papers WHERE run_id = ? "
                                    "GROUP BY action", [run_id]).fetchall())
        return {action: found.get(action, 0) for action in ("new", "updated", "deleted")}

    def runs(self, limit: int = 5) -> list[dict[str, Any]]:
        with self.reading() as db:
            return list(db["fetch_runs"].rows_where(order_by="id desc", limit=limit))

    def last_run_pmids(self, actions: tuple[str, ...] = ("new",)
                       ) -> tuple[dict[str, Any] | None, set[int]]:
        """The latest finished fetch or import and the papers it added (``--new``, digests),
        as paper ids (the name is older than records without PMIDs).

        Whatever its status: a run that added nothing leaves nothing new (never an older
        batch again), and an interrupted fetch's kept records count as new.
        """
        with self.reading() as db:
            runs = list(db["fetch_runs"].rows_where("status != 'running'", order_by="id desc",
                                                    limit=1))
            if not runs:
                return None, set()
            marks = ",".join("?" * len(actions))
            paper_ids = {
                row[0]
                for row in db.execute(
                    f"SELECT paper_id FROM run_papers WHERE run_id = ? AND action IN ({marks})",
                    [runs[0]["id"], *actions],
                )
            }
            return runs[0], paper_ids
