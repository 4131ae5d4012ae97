"""`makemore-tui plot`: the lecture's figures (makemore part 3) of a recorded run, as PNG and SVG.

series.py reads a run log into runs and curves (numpy only), specs.py lays out the five figures,
figures.py draws them with matplotlib (an optional extra, imported only when drawing), cli.py
is the subcommand. It reads the run log through core/ alone and never imports textual.
"""
