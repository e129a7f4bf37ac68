"""The Discord adapter (discord.py): members ask by mention, DM and slash commands; buttons
rate, pick and pass questions to the moderators; moderators change the FAQ with forms;
notifications arrive as DMs.

Named `discord_app`, not `discord`, so that it can never shadow the discord.py package.
`translate.py` is pure (identities, texts, custom ids); `desk.py` what every handler shares;
`messages.py` the messages the bot sees; `buttons.py` the members' persistent buttons and
their clicks; `commands.py` the members' slash commands; `moderation.py` and `forms.py` the
moderators' commands, inbox buttons and forms; `client.py` the discord.py client;
`sender.py` the outbox's DMs; `serving.py` runs it beside the HTTP app in one event loop;
`config.py` reads its settings; `adapters/limits.py` holds the per-member rate limit. It
imports `bot`, discord.py and the adapters' shared modules, never another platform's package.
"""
