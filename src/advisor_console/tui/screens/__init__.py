"""Screens of the workstation, one module each."""
