"""Hostile and odd XML: nothing is expanded, read from disk or fetched from the network."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from kratomlit.cli import app

from conftest import PUBMED, require_pubmed

require_pubmed()  # every hostile file below wraps a real record, read at import
REAL = (PUBMED / "pubmed-29768149.xml").read_text("utf-8")
BODY = REAL[REAL.index("<PubmedArticleSet>"):]


def _with_prolog(prolog: str, title: str | None = None) -> str:
    body = BODY
    if title is not None:
        body = re.sub(r"<ArticleTitle>.*?</ArticleTitle>", f"<ArticleTitle>{title}</ArticleTitle>",
                      body, count=1, flags=re.S)
    return '<?xml version="1.0"?>\n' + prolog + "\n" + body


def _titles(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT title FROM papers")]


def _import(runner: CliRunner, path: Path):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = runner.invoke(app, ["import", str(path)])
    return result, time.perf_counter() - started


def test_billion_laughs_is_not_expanded(runner: CliRunner, isolated_env: Path,
                                        tmp_path: Path) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    prolog = "<!DOCTYPE PubmedArticleSet [" + "".join(entities) + "]>"
    hostile = tmp_path / "laughs.xml"
    hostile.write_text(_with_prolog(prolog, "Kratom &lol9;"))
    result, seconds = _import(runner, hostile)
    assert seconds < 10 and "Traceback" not in result.output
    assert all("lollol" not in title for title in _titles(isolated_env))
    if result.exit_code != 0:
        assert result.stderr.startswith("Error: laughs.xml") or "laughs.xml" in result.stderr


def test_external_entity_cannot_read_a_local_file(runner: CliRunner, isolated_env: Path,
                                                  tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    prolog = f'<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    hostile = tmp_path / "xxe.xml"
    hostile.write_text(_with_prolog(prolog, "Kratom &xxe;"))
    result, _ = _import(runner, hostile)
    assert "Traceback" not in result.output
    assert "TOP-SECRET-CONTENT" not in result.output
    with sqlite3.connect(isolated_env) as conn:
        dump = "\n".join(conn.iterdump())
    assert "TOP-SECRET-CONTENT" not in dump


def test_dtd_on_the_network_is_never_fetched(runner: CliRunner, isolated_env: Path,
                                             tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/evil.dtd").respond_with_data('<!ENTITY evil "FETCHED">')
    url = httpserver.url_for("/evil.dtd")
    prolog = (f'<!DOCTYPE PubmedArticleSet SYSTEM "{url}" '
              f'[<!ENTITY % remote SYSTEM "{url}"> %remote;]>')
    hostile = tmp_path / "remote.xml"
    hostile.write_text(_with_prolog(prolog, "Kratom &evil;"))
    result, _ = _import(runner, hostile)
    assert "Traceback" not in result.output
    assert httpserver.log == []
    assert all("FETCHED" not in title for title in _titles(isolated_env))


def test_mathml_and_markup_in_titles_are_flattened(runner: CliRunner, isolated_env: Path,
                                                   tmp_path: Path) -> None:
    mathml = ('Effects of <i>Mitragyna</i> on <mml:math xmlns:mml="http://www.w3.org/1998/Math/'
              'MathML"><mml:msub><mml:mi>K</mml:mi><mml:mi>i</mml:mi></mml:msub></mml:math> '
              'values<sup>2</sup> in rats')
    odd = tmp_path / "mathml.xml"
    odd.write_text(_with_prolog("", mathml))
    result, _ = _import(runner, odd)
    assert result.exit_code == 0, result.output
    assert _titles(isolated_env) == ["Effects of Mitragyna on Ki values2 in rats"]  # not cut


def test_very_long_abstract_and_records_without_abstract_or_authors(
        runner: CliRunner, isolated_env: Path, tmp_path: Path) -> None:
    long_text = " ".join(["Kratom alkaloid exposure was measured in detail."] * 20_000)  # ~1 MB
    body = re.sub(r"<AbstractText([^>]*)>.*?</AbstractText>",
                  lambda m: f"<AbstractText{m.group(1)}>{long_text}</AbstractText>", BODY, count=1,
                  flags=re.S)
    bare = re.sub(r"<Abstract>.*?</Abstract>", "", BODY, flags=re.S)
    bare = re.sub(r"<AuthorList.*?</AuthorList>", "", bare, flags=re.S)
    bare = bare.replace(">29768149<", ">29768150<")
    (tmp_path / "long.xml").write_text('<?xml version="1.0"?>\n' + body)
    (tmp_path / "bare.xml").write_text('<?xml version="1.0"?>\n' + bare)
    result = runner.invoke(app, ["import", str(tmp_path / "long.xml"), str(tmp_path / "bare.xml")])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(isolated_env) as conn:
        rows = dict(conn.execute("SELECT pmid, length(abstract) FROM papers").fetchall())
        authors = dict(conn.execute("SELECT pmid, author_count FROM papers").fetchall())
    assert rows[29768149] > 900_000 and rows[29768150] is None
    assert authors[29768150] == 0
    shown = runner.invoke(app, ["show", "29768150"])
    assert shown.exit_code == 0 and "Budesonide" in shown.stdout
    assert runner.invoke(app, ["tag", "-q"]).exit_code == 0
