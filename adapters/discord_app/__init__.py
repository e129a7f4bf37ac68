"""The Discord adapter (discord.py): members ask by mention, DM and slash commands; buttons
rate, pick and pass questions to the moderators; notifications arrive as DMs.

Named `discord_app`, not `discord`, so that it can never shadow the discord.py package.
`translate.py` is pure (identities, texts, custom ids); `desk.py` the handlers between events
and the assistant; `components.py` the persistent buttons; `commands.py` the slash commands;
`client.py` the discord.py client; `sender.py` the outbox's DMs; `serving.py` runs it beside
the HTTP app in one event loop; `config.py` reads its settings. It imports `bot` and discord.py,
never another platform's package.
"""
