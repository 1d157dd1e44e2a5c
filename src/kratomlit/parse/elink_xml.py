"""ELink replies (``eLinkResult``) read into plain data: pure, bytes in, dataclasses out.

A reply holds one ``LinkSet`` per ``id=`` parameter sent. Sent as repeated parameters
(``id=1&id=2``) each seed gets its own LinkSet, so each link traces back to its seed;
sent comma-joined (``id=1,2``) the seeds share one LinkSet holding the union of their
links, and no link can be traced to one seed (``../shared/pubmed/elink3.xml``). Each
``LinkSetDb`` is one link name (``pubmed_pubmed_refs``, ``pubmed_pubmed_citedin``,
``pubmed_pubmed`` …); a seed without links of a name has no LinkSetDb for it. ``cmd=ncheck``
answers only whether each id has neighbours (``IdCheckList``, ``elink8.xml``).

Parsed like ``pubmed_xml``: no entity expansion, no DTD, no network. A reply that is empty,
not XML, cut off, not an ``eLinkResult`` or holds a link that is not a PMID raises
``EutilsError``; NCBI's own ``ERROR`` messages are data (``ElinkReply.error``,
``LinkSet.error``) for the client to judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from kratomlit.errors import EutilsError

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                               huge_tree=False, remove_comments=True)


@dataclass(frozen=True)
class Neighbor:
    """One ``Link``: a linked PMID and, in ``cmd=neighbor_score`` replies, its score."""

    pmid: int
    score: int | None = None


@dataclass
class LinkSet:
    """The answer for one ``id=`` parameter."""

    ids: list[int]  # IdList/Id: the seed, or every seed of a comma-joined id list
    lists: dict[str, list[Neighbor]] = field(default_factory=dict)  # LinkName -> links
    error: str | None = None  # an ERROR inside this LinkSet
    has_neighbor: dict[int, bool] = field(default_factory=dict)  # cmd=ncheck: IdCheckList

    @property
    def seed(self) -> int | None:
        """The one seed these links belong to; None when several ids share the LinkSet."""
        return self.ids[0] if len(self.ids) == 1 else None

    def links(self, name: str) -> list[Neighbor]:
        return self.lists.get(name, [])


@dataclass
class ElinkReply:
    linksets: list[LinkSet]
    error: str | None = None  # an ERROR for the whole request


def parse_elink(body: bytes) -> ElinkReply:
    if not body.strip():
        raise EutilsError("empty reply")
    try:
        root = etree.fromstring(body, _SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        if body.lstrip()[:1] != b"<":
            raise EutilsError(f"reply is not XML ({body[:60].decode('utf-8', 'replace')!r})"
                              ) from None
        raise EutilsError(f"truncated or malformed XML ({exc.msg})") from None
    if root.tag != "eLinkResult":
        raise EutilsError(f"unexpected reply <{root.tag}>")
    return ElinkReply([_linkset(node) for node in root.iterfind("LinkSet")],
                      _error(root))


def _linkset(node: etree._Element) -> LinkSet:
    lists: dict[str, list[Neighbor]] = {}
    for db in node.iterfind("LinkSetDb"):
        name = (db.findtext("LinkName") or "").strip()
        lists.setdefault(name, []).extend(
            Neighbor(_pmid(link.findtext("Id")), _score(link.findtext("Score")))
            for link in db.iterfind("Link"))
    checks = {_pmid(check.text): check.get("HasNeighbor") == "Y"
              for check in node.iterfind("IdCheckList/Id")}
    return LinkSet([_pmid(t) for t in node.xpath("IdList/Id/text()")], lists, _error(node),
                   checks)


def _error(node: etree._Element) -> str | None:
    text = node.findtext("ERROR")
    return None if text is None else " ".join(text.split()) or "unknown error"


def _pmid(text: str | None) -> int:
    text = (text or "").strip()
    if not text.isdigit():
        raise EutilsError(f"reply links to {text!r}, which is not a PMID")
    return int(text)


def _score(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    if not text.isdigit():
        raise EutilsError(f"reply has a link score {text!r} that is not a number")
    return int(text)

