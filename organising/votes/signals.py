"""Signals of the votes app, for other capabilities to follow a vote's outcome.

`vote_closed` is sent once, after the transaction that closed the vote commits,
with `sender=Vote`, `vote=<the closed Vote>` and `result=<votes.counting.Result>`.
A capability that created the vote recognises it by `vote.subject` (for example
"documents.amendment:12"). Receivers must not raise: a failing receiver is logged
by `send_robust` and the others still run.
"""

from django.dispatch import Signal

vote_closed = Signal()
