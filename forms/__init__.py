"""Cairn form definitions and their validation (pure: reads only bundled definition files)."""
