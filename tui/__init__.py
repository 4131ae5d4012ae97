"""The Textual app of makemore-tui: live training view and run-log replay."""
