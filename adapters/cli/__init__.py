"""The `forumbot` command (`main.py`) and its subcommands, one module each, with the checks of
what is typed and the progress bar. It drives the core through `bot.app`; the console and the
HTTP server it starts are their own adapters beside it.
"""
