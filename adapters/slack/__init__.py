"""The Slack adapter: forumbot as a Slack app (slack-bolt), over HTTP or Socket Mode."""
