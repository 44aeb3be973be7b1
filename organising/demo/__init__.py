"""The demo organisation: the one app allowed to import all the others."""
