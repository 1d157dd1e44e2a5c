"""kratomlit: a literature-tracking research database for kratom research."""

__version__ = "0.1.0"
