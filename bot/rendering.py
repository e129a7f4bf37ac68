"""Rendering replies per flavor (text, Slack, Discord) with jinja2 templates.

Every value a template prints is escaped for its flavor unless it is `Trusted` (FAQ answers,
which moderators write in Markdown). User text is only ever a value, never a template.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2

from bot.messages import Reply

FLAVORS = ("text", "slack", "discord")


class Trusted(str):
    """Text that is already in the flavor's markup and must not be escaped again."""


def _strip_controls(value: str) -> str:
    return "".join(
        ch for ch in value if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cf"}
    )


def escape_text(value: str) -> str:
    """Console: nothing is markup, but control characters (terminal escapes) are dropped."""
    return _strip_controls(value)


def escape_slack(value: str) -> str:
    """Slack mrkdwn: `&`, `<` and `>` are the only control characters."""
    value = _strip_controls(value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_DISCORD_MARKUP = re.compile(r"([\\*_~`|>#\[\]()-])")


def escape_discord(value: str) -> str:
    """Discord: Markdown characters backslashed, mentions broken with a zero-width space."""
    value = _DISCORD_MARKUP.sub(r"\\\1", _strip_controls(value))
    return value.replace("@", "@\u200b")


ESCAPES: dict[str, Callable[[str], str]] = {
    "text": escape_text,
    "slack": escape_slack,
    "discord": escape_discord,
}

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def markdown_for(flavor: str, markdown: str) -> Trusted:
    """FAQ Markdown in the flavor's own markup: plain text, Slack mrkdwn, Discord Markdown."""
    if flavor == "text":
        return Trusted(_BOLD.sub(r"\1", markdown))
    if flavor == "slack":
        return Trusted(_BOLD.sub(r"*\1*", markdown))
    return Trusted(markdown)


_CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(amount: str, currency: str) -> str:
    """`$150`, `$150.50`, `€20`, or `20.00 CHF` for a currency without a sign here."""
    value = Decimal(amount)
    sign = _CURRENCY_SIGNS.get(currency.upper())
    if sign is None:
        return f"{value:,.2f} {currency}"
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{sign}{text}"


def day(iso: str) -> str:
    """An ISO timestamp as a day a member reads: `Nov 18, 2026`."""
    return datetime.fromisoformat(iso).strftime("%b %-d, %Y")


def moment(iso: str) -> str:
    """An ISO timestamp to the minute, in UTC: `Nov 18, 2026 14:05 UTC`."""
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%b %-d, %Y %H:%M UTC")


class Renderer:
    """Renders a `Reply` for a flavor; a template missing in a flavor falls back to `text`."""

    def __init__(self, templates: Path) -> None:
        self._envs = {flavor: self._environment(templates, flavor) for flavor in FLAVORS}

    @staticmethod
    def _environment(templates: Path, flavor: str) -> jinja2.Environment:
        escape = ESCAPES[flavor]

        def finalize(value: Any) -> Any:
            if isinstance(value, Trusted) or not isinstance(value, str):
                return value
            return escape(value)

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(templates / flavor), str(templates / "text")]),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            finalize=finalize,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["markdown"] = lambda value: markdown_for(flavor, str(value))
        env.filters["money"] = money
        env.filters["day"] = day
        env.filters["moment"] = moment
        return env

    def template_names(self, flavor: str) -> list[str]:
        """Every reply template a flavor can render (`_name.j2` files are shared macros)."""
        return sorted(
            name.removesuffix(".j2")
            for name in self._envs[flavor].list_templates(extensions=["j2"])
            if not name.startswith("_")
        )

    def render(self, reply: Reply, flavor: str = "text") -> str:
        """The reply as the flavor's text."""
        template = self._envs[flavor].get_template(f"{reply.template}.j2")
        return template.render(**reply.context).strip()
