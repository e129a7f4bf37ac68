"""The FAQ and its matching: entries, the knowledge pack, the matcher and the answer policy,
the live snapshot, moderators' editing with history and validation, their desk and chat
commands, pack import and evaluation.

It imports only the shared modules of `bot` (text, errors, messages, rendering, moderators,
commands, audit): it knows nothing of contracts, the inbox, storage or the platforms.
"""
