"""Repères: a directory of insertion offers on the data·inclusion schema v1 (factory: app.factory)."""
