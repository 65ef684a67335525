"""Workspaces (SQLite + content-addressed files) and the job table that worker processes run."""
