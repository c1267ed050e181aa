"""The panes of the workstation, one module each."""
