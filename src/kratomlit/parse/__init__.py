"""Parsing: PubMed XML, MEDLINE text, ELink replies, dates, and the exports of other databases
(RIS, BibTeX, CSV, EndNote XML), into plain records."""
