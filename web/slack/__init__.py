"""Slack interactivity: the bolt app, its listeners, modals and replay protection."""
