"""Reading ELink replies: NCBI's real ones (../shared/pubmed) and small synthetic ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kratomlit.errors import EutilsError
from kratomlit.parse.elink_xml import Neighbor, parse_elink

from conftest import FIXTURES, PUBMED, needs_pubmed

ALL_PUBMED_NAMES = ["pubmed_pubmed", "pubmed_pubmed_citedin", "pubmed_pubmed_combined",
                    "pubmed_pubmed_five", "pubmed_pubmed_refs", "pubmed_pubmed_reviews",
                    "pubmed_pubmed_reviews_five"]


def _pmids(links: list[Neighbor]) -> list[int]:
    return [link.pmid for link in links]


def _read(path: Path):  # type: ignore[no-untyped-def]
    return parse_elink(path.read_bytes())


# -- NCBI's real replies --------------------------------------------------------------------


@needs_pubmed
def test_reply_without_linkname_lists_every_link_name_for_its_seed() -> None:
    reply = _read(PUBMED / "elink1.xml")
    assert reply.error is None and len(reply.linksets) == 1
    (linkset,) = reply.linksets
    assert linkset.ids == [9298984] and linkset.seed == 9298984 and linkset.error is None
    assert list(linkset.lists) == ALL_PUBMED_NAMES
    assert {name: len(links) for name, links in linkset.lists.items()} == {
        "pubmed_pubmed": 101, "pubmed_pubmed_citedin": 39, "pubmed_pubmed_combined": 5,
        "pubmed_pubmed_five": 5, "pubmed_pubmed_refs": 56, "pubmed_pubmed_reviews": 1,
        "pubmed_pubmed_reviews_five": 5}
    refs = _pmids(linkset.links("pubmed_pubmed_refs"))
    assert refs[:3] == [14732139, 8909532, 8898221] and refs[-2:] == [1406971, 1339459]
    cited_by = _pmids(linkset.links("pubmed_pubmed_citedin"))
    assert cited_by[:3] == [38830800, 38188366, 37424454] and cited_by[-1] == 9700164
    assert _pmids(linkset.links("pubmed_pubmed_five")) == [
        9298984, 8794856, 9700164, 7914521, 9914369]  # the seed heads its own similar list
    assert all(link.score is None for links in linkset.lists.values() for link in links)


@needs_pubmed
def test_comma_joined_ids_share_one_linkset_that_names_no_single_seed() -> None:
    (linkset,) = _read(PUBMED / "elink3.xml").linksets
    assert linkset.ids == [11812492, 11774222]
    assert linkset.seed is None  # the union of both seeds' links: not traceable to one
    assert _pmids(linkset.links("pubmed_pubmed_citedin")) == [18508935, 15780005, 15024419]
    assert len(linkset.links("pubmed_pubmed")) == 284
    assert len(linkset.links("pubmed_pubmed_reviews")) == 282
    assert linkset.links("pubmed_pubmed_refs") == []  # no reference list held: no LinkSetDb


@needs_pubmed
def test_unscored_similar_list_is_not_in_rank_order() -> None:
    (linkset,) = _read(PUBMED / "elink4.xml").linksets
    assert linkset.seed == 12242737
    assert _pmids(linkset.links("pubmed_pubmed_citedin")) == [
        40900773, 28779191, 21102533, 19517148, 19132488, 15278705]
    assert "pubmed_pubmed_refs" not in linkset.lists
    similar = _pmids(linkset.links("pubmed_pubmed"))
    # The most similar article (the seed itself) sits 114th of 156, the newest first.
    assert len(similar) == 156 and similar[0] == 38997184 and similar.index(12242737) == 113


@needs_pubmed
def test_ncheck_reply_says_whether_each_id_has_neighbours() -> None:
    (linkset,) = _read(PUBMED / "elink8.xml").linksets
    assert linkset.has_neighbor == {12068369: True}
    assert linkset.ids == [] and linkset.lists == {} and linkset.seed is None


# -- synthetic replies (tests/fixtures) ------------------------------------------------------


def test_repeated_ids_give_one_linkset_per_seed_in_order() -> None:
    reply = _read(FIXTURES / "synthetic-elink.xml")
    assert [linkset.seed for linkset in reply.linksets] == [999000001, 999000002, 999000003]
    first, empty, third = reply.linksets
    assert list(first.lists) == ["pubmed_pubmed", "pubmed_pubmed_citedin", "pubmed_pubmed_refs"]
    assert _pmids(first.links("pubmed_pubmed_citedin")) == [999000102, 999000003]
    assert _pmids(first.links("pubmed_pubmed_refs")) == [999000101]
    assert empty.lists == {} and empty.error is None  # a seed without links: empty, no error
    assert _pmids(third.links("pubmed_pubmed_refs")) == [999000101, 999000001]


def test_neighbor_score_reply_keeps_each_score() -> None:
    (linkset,) = _read(FIXTURES / "synthetic-elink-scores.xml").linksets
    assert linkset.links("pubmed_pubmed") == [
        Neighbor(999000104, 21408372), Neighbor(999000001, 99999999),
        Neighbor(999000103, 35566012)]


def test_synthetic_combined_and_ncheck_forms() -> None:
    (combined,) = _read(FIXTURES / "synthetic-elink-combined.xml").linksets
    assert combined.ids == [999000001, 999000003] and combined.seed is None
    assert _pmids(combined.links("pubmed_pubmed_citedin")) == [999000102, 999000003]
    (check,) = _read(FIXTURES / "synthetic-elink-ncheck.xml").linksets
    assert check.has_neighbor == {999000001: True, 999000002: False}


def test_ncbi_error_messages_are_kept_for_the_request_and_for_one_seed() -> None:
    reply = parse_elink(b"<eLinkResult><ERROR>Empty id list - nothing todo</ERROR>"
                        b"</eLinkResult>")
    assert reply.error == "Empty id list - nothing todo" and reply.linksets == []
    reply = parse_elink(
        b"<eLinkResult><LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>999000009</Id></IdList>"
        b"<ERROR>Invalid uid\n 999000009</ERROR></LinkSet>"
        b"<LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>999000001</Id></IdList></LinkSet>"
        b"</eLinkResult>")
    assert reply.error is None
    assert [(s.seed, s.error) for s in reply.linksets] == [
        (999000009, "Invalid uid 999000009"), (999000001, None)]


@pytest.mark.parametrize(("body", "problem"), [
    (b"", "empty reply"),
    (b"  \n", "empty reply"),
    (b'{"error":"API rate limit exceeded"}', "reply is not XML"),
    ((FIXTURES / "synthetic-elink.xml").read_bytes()[:1500], "truncated or malformed XML"),
    (b"<eSearchResult><Count>0</Count></eSearchResult>", "unexpected reply <eSearchResult>"),
    (b"<eLinkResult><LinkSet><IdList><Id>999000001</Id></IdList><LinkSetDb>"
     b"<LinkName>pubmed_pubmed_refs</LinkName><Link><Id>PMC123</Id></Link></LinkSetDb>"
     b"</LinkSet></eLinkResult>", "'PMC123', which is not a PMID"),
    (b"<eLinkResult><LinkSet><IdList><Id>999000001</Id></IdList><LinkSetDb>"
     b"<LinkName>pubmed_pubmed</LinkName><Link><Id>999000002</Id><Score>high</Score></Link>"
     b"</LinkSetDb></LinkSet></eLinkResult>", "score 'high' that is not a number"),
])
def test_untrustworthy_reply_is_an_error(body: bytes, problem: str) -> None:
    with pytest.raises(EutilsError, match=re.escape(problem)):
        parse_elink(body)


def test_entities_are_not_expanded_nor_files_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 4))
    hostile = (f'<?xml version="1.0"?><!DOCTYPE eLinkResult [<!ENTITY l0 "lol">{laughs}'
               f'<!ENTITY xxe SYSTEM "file://{secret}">]>'
               "<eLinkResult><ERROR>x&l3;&xxe;</ERROR></eLinkResult>").encode()
    assert parse_elink(hostile).error == "x"  # 1,000 lols and the file's text left out
