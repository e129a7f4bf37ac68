"""Adapters: translate platform events into core messages and core replies into output.

`cli/` is the `forumbot` command; `console.py` the interactive assistant; `http_app.py` the
HTTP server of `forumbot serve` with `delivery_loop.py` and `metrics.py`; `log_format.py` how
every command logs. Each platform gets its own package.
Adapters may import anything in `bot`; the core never imports them.
"""
