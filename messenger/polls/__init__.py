"""Polls: single or multiple choice, anonymous or not, with an optional end time; posted as messages."""

from messenger.polls.routes import register

__all__ = ["register"]
