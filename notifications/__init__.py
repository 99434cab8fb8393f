"""Rendering, SMTP and iCal adapters (built with the notifications issue)."""
