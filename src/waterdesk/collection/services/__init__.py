"""Writes of collection, by topic: exemptions, the ladder, disconnection and reconnection,
payments and instalment plans."""
