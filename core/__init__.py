"""Training: config, compare grid, layers, model, engines, statistics, health rules, the trainer
thread, records (the run-log contract), channel, run log, runs table, safe text.

Imported as `makemore_tui.core`; never imports Textual or `makemore_tui.tui`.
"""
