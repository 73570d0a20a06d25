"""Audit log: server-wide entries (logins, admin actions, backups, restores, retention) and per-room
entries (kicks, role changes, pins, admin deletions, renames)."""
