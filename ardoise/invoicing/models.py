"""Placeholder: this app is built by its roadmap issue."""
