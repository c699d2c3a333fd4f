"""The collection pages."""
