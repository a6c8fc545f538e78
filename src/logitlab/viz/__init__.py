"""Figures: every function returns a Matplotlib Figure (object API, no pyplot), a graphviz
graph or frames, and saves nothing; style holds the one colour and label table."""
