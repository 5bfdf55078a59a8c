"""Errors answered in one place: JSON for machines, a page for people."""

from desk.errors.handlers import init_app

__all__ = ["init_app"]
