"""Exports of the stored offer to other exchange formats (HSDS 3.0 for now)."""
