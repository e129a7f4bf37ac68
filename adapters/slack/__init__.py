"""Slack: forumbot as a Slack app on slack-bolt's AsyncApp, over HTTP or Socket Mode.

`slack_app.py` builds the Bolt app, its `POST /slack/events` endpoint and what `forumbot
serve` runs; `config.py` reads the Slack variables; `translate.py` turns Slack payloads into
`Incoming` and `blocks.py` replies into Block Kit (text from `templates/slack/`); `members.py`
and `relay.py` are the members' listeners, `moderation.py` and `modals.py` the moderators';
`sender.py` DMs the outbox's notifications; `web_api.py` makes the Web API clients;
`manifest.yaml` is the app's manifest. It may import `bot` and the CLI's stats table, never
another platform's package.
"""
