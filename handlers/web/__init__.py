"""The web edge: Starlette routes that call the same use cases as the Telegram handlers."""
