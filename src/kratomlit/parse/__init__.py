"""Parsing: PubMed XML, MEDLINE text, ELink replies and dates, into plain records."""
