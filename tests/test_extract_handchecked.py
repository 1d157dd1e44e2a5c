"""Findings and countries of 80 real records, checked by reading each abstract.

The 40 findings were drawn at random (seed 13) by kind: 14 structured abstracts with a
conclusions section, 18 unstructured, 4 structured without one, 4 title-only records. The 40
country lists mix 18 picked for tricky words (Guinea, Jordan Valley, Turkey, Indian, New
Zealand rabbits, Swiss mice, US states, "American Society of Anesthesiologists") with 22
drawn at random. The expected values say what a reader of the record would write down,
whatever the extractor does; where it does otherwise the case is marked xfail with the
reason, so the count of passing cases is the count the extractor gets right.

Finding: (start, end): the finding starts with ``start`` and contains ``end``, the end of
its last whole sentence (it may be cut after it, marked "…"); ("", "") is no finding.
Countries: (stated in the record, inferred from the first author's affiliation).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from kratomlit.records import AbstractSection
from kratomlit.tagging.extract import Extraction, load_vocabulary

from conftest import needs_pubmed

pytestmark = needs_pubmed

FINDINGS: dict[int, tuple[str, str]] = {
    # Structured, with a conclusions section: that section, cut to about 300 characters.
    25864598: ("MAP is a heterogeneous syndrome", "with positive symptom typologies."),
    26171998: ("Significant differences in ongoing pregnancy rates", "to optimize implantation."),
    26196233: ("The predictive accuracy of AMH", "remains problematic."),
    26211882: ("Clinically significant differences", "placentation in FET cycles."),
    26253817: ("The findings suggest that specific UV filters", "await future corroboration."),
    26255087: ("The findings of this pilot study", "between natural and HRT protocols."),
    26419732: ("For vulnerable older adults", "during rehabilitation."),
    26432119: ("The trifocal IOL provided complete", "good levels of visual quality."),
    26702277: ("The concentration of 25(OH)D in CHF patients", "availability of UVB radiation."),
    26702293: ("Ecological studies of associations",
               "time-invariant confounders for future research."),
    26702297: ("The importance to stakeholders", "to inform policy, services and practice."),
    26702312: ("The rate of persistence of prescribed NOACs", "in Japanese patients with NVAF."),
    26702344: ("P wave axis was found significantly increased", "cardiovascular mortality."),
    28786991: ("We observed high attrition", "limiting our review findings."),
    # Unstructured: the concluding sentences that state a result.
    21615262: ("Zebrafish models of behavioral pharmacology", "neurobehavioral impairments."),
    24791715: ("Yet while injury-induced plasticity", "present major limitations for recovery."),
    25378403: ("This represents a novel locus of CaMKII control",
               "metabolic control of apoptosis."),
    25406310: ("These findings suggest that a non-obligate", "for future therapy."),
    25596075: ("These data suggest that nanoparticle-mediated", "survival, identity or function."),
    25741385: ("Integration of these systems approaches", "clinically relevant drug combinations."),
    26209105: ("Strains of L. tropica were identified", "starch gel electrophoresis."),
    26259816: ("We argue that the response of larval mosquitoes", "and resource abundance."),
    26382853: ("These findings establish a link", "and type I interferon."),
    26407471: ("", ""),  # an erratum notice: no result
    26522283: ("The false myth that vaccines",
               "The false myth that vaccines are offered because of economic interests is to "
               "be dispelled"),
    26631581: ("", ""),  # a review saying what it reviews: no result
    26702236: ("This shows that educational intervention", "practices in hospitals."),
    26702304: ("The calcium-binding pocket could be", "growth of malaria parasite."),
    26702307: ("", ""),  # a commentary saying what it discusses: no result
    26702322: ("The T-wave amplitudes on both", "normalization of the potassium level."),
    26702412: ("Notch target genes cut, wingless", "by overexpression of Su(H) proteins."),
    26702831: ("F-BAR oligomerization is also critical", "function without membrane bending."),
    # Structured without a conclusions section.
    26432136: ("", ""),  # two cases described, then a call for evaluation: no result
    26432137: ("This case demonstrates that infectious keratitis",
               "concurrently with cataract surgery."),
    26432138: ("Massilia timonae is a new bacterium", "could not identify it."),
    26702172: ("The P values for the study sample", "The P values for the study sample were found "
               "to be greater than 0.05"),
    # Title only.
    26431759: ("", ""),
    26432303: ("", ""),
    26432325: ("", ""),
    26702190: ("", ""),
}

# Where the extractor's finding differs from the reader's. The first pass (before any
# tuning on these records) got 27 of 40 right; these 3 are still wrong (37 of 40).
FINDINGS_MISSED: dict[int, str] = {
    26702412: "the abstract ends with a methods sentence, taken for its conclusion",
    26432138: "its conclusion starts a sentence earlier, with no word that says so",
    26702172: "no conclusions section: the last results sentence is taken, the reader "
              "picks the first (the main, null, result)",
}

US, UK, NZ = "United States", "United Kingdom", "New Zealand"
COUNTRIES: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    17942999: (("China",), ()),  # "Chinese and English participants"; English is a language
    21784659: ((US,), ()),  # North Carolina, Alabama, Florida
    25406310: ((), ()),  # no country, an affiliation without one
    25766232: (("Guinea", "Liberia", "Sierra Leone"), ()),
    25936681: (("Israel",), ()),
    26099681: ((), ("Kenya",)),  # "Swiss white mice" are no place
    26119042: (("Israel",), ()),  # the "lower Jordan Valley" streamlet is in Israel
    26126785: (("India",), ()),
    26253819: (("Australia", NZ), ()),
    26277067: (("Argentina",), ()),
    26407463: ((), ("Italy",)),  # affiliation: Ministero della salute, Roma
    26407466: (("Italy",), ()),  # "the Italian National Prevention Plan"
    26432113: ((UK,), ()),  # a disclosure names New York, USA: not the setting
    26432125: (("Austria",), ()),
    26432130: (("Canada", US), ()),
    26432132: (("Turkey",), ()),
    26432141: ((), ()),
    26432154: ((), ()),
    26432312: ((NZ,), ()),
    26470805: ((US,), ()),  # Washington, DC
    26518062: (("Brazil",), ()),
    26524568: ((), ()),
    26668919: (("Italy",), ()),
    26668921: ((), ()),
    26701098: (("Turkey",), ()),  # "Afyonkarahisar-Turkey"
    26702165: (("Malaysia",), ()),
    26702167: (("India",), ()),  # "standards employed in Indian court"
    26702172: ((), ("India",)),
    26702177: (("India",), ()),  # "the paucity of Indian research"
    26702206: (("India",), ()),  # North India; the American Society of Anesthesiologists
    26702218: (("India",), ()),
    26702237: (("Nigeria",), ()),
    26702243: ((), ("India",)),
    26702255: (("Saudi Arabia",), ()),
    26702336: ((), (US,)),  # a US FDA approval is no setting; affiliation "Chicago, IL"
    26702343: ((), ("Iran",)),  # Wistar rats
    26702349: ((), ("Turkey",)),
    26702399: ((), ("India",)),  # the species lives in India: background, not the samples
    26702831: ((), (US,)),
    26703908: (("Sweden",), ()),
}

# The first pass got 34 of 40 right; these 3 are still wrong (37 of 40).
COUNTRIES_MISSED: dict[int, str] = {
    26407463: "the affiliation names only the city (Roma); cities are not in the list",
    26702177: "'Indian research' implies India, but a demonym needs a word for people",
    26702336: "the affiliation names only 'Chicago, IL'",
}


@pytest.fixture(scope="module")
def extracted(real_db_template: Path) -> dict[int, Extraction]:
    vocabulary = load_vocabulary()
    db = sqlite3.connect(real_db_template)
    found = {}
    for pmid in {*FINDINGS, *COUNTRIES}:
        title, sections, keywords, mesh = db.execute(
            "SELECT title, abstract_sections, keywords, mesh_terms FROM papers WHERE pmid = ?",
            [pmid]).fetchone()
        affiliation = db.execute("SELECT affiliation FROM authors WHERE paper_id = "
                                 "(SELECT id FROM papers WHERE pmid = ?) "
                                 "ORDER BY position LIMIT 1", [pmid]).fetchone()
        found[pmid] = vocabulary.extract(
            title, [AbstractSection(**s) for s in json.loads(sections or "[]")],
            json.loads(keywords or "[]"), [m.split("/")[0] for m in (mesh or "").split("; ") if m],
            affiliation[0] if affiliation else None)
    db.close()
    return found


def _marked(table: dict[int, object], missed: dict[int, str]) -> list[object]:
    return [pytest.param(pmid, marks=pytest.mark.xfail(reason=missed[pmid], strict=True))
            if pmid in missed else pmid for pmid in table]


@pytest.mark.parametrize("pmid", _marked(FINDINGS, FINDINGS_MISSED))
def test_finding_as_read(extracted: dict[int, Extraction], pmid: int) -> None:
    start, end = FINDINGS[pmid]
    finding = extracted[pmid].finding
    if not start:
        assert finding == ""
    else:
        assert finding.startswith(start) and end in finding, finding


@pytest.mark.parametrize("pmid", _marked(COUNTRIES, COUNTRIES_MISSED))
def test_countries_as_read(extracted: dict[int, Extraction], pmid: int) -> None:
    stated, inferred = COUNTRIES[pmid]
    found = extracted[pmid]
    assert (set(found.countries), set(found.countries_inferred)) == (set(stated), set(inferred))
