"""forumbot's platform-neutral core, grouped by capability.

- `faq/`: the FAQ and its matching; `contracts/`: members' contracts, linking and the webhook;
  `inbox/`: the unanswered questions and stats; `storage/`: the SQLAlchemy side of every port.
- The modules here are what every capability shares (messages, commands, rendering, text,
  errors, settings, moderators, hand-offs, audit, delivery, the observer port) plus the
  assistant that routes a message and `app.py`, the one composition root.

Nothing in `bot` imports a platform library or `adapters`, and nothing does I/O at import time.
"""
