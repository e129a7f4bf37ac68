"""Adapters: translate platform events into core messages and core replies into output."""
