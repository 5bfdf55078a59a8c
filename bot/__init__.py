"""The Rasa assistant's server-side code (runs in the bot environment, Python 3.10)."""
