"""Repères settings: every ``REPERES_*`` environment variable, declared once."""
from config.settings import SETTINGS, Settings, load_settings

__all__ = ["SETTINGS", "Settings", "load_settings"]
