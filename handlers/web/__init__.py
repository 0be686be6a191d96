"""The web edge: a Starlette app in the bot's process (server.py), built from route groups."""
