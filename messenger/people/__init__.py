"""People: the org directory (browse by department, search by name, 초성 or department) and the
server admin's directory import and export (CSV)."""

from messenger.people.routes import register

__all__ = ["register"]
