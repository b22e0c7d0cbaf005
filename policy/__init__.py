"""Prohibited and restricted services (policy as data).

The rules files and their enforcement at plugin load, counter enablement and every transaction
arrive with issue [3/7]; see docs/decisions.md.
"""
