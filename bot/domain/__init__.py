"""Pure rules of griddesk: no Telegram, no SQL, no clock. Time is always passed in."""
