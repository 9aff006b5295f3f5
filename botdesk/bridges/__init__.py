"""Bridges between botdesk and messengers that botdesk does not host itself (Telegram, ...).

Each bridge is an ordinary botdesk client: it forwards users' messages with
`send_message_external` and relays `bot` / `operator` messages it receives by webhook.
"""
