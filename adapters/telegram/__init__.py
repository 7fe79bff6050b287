"""Telegram: Parley in Telegram groups and private chats, through python-telegram-bot."""
