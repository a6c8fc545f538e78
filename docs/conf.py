"""Sphinx settings for logitlab's API reference: autodoc reads the docstrings, numpydoc their
sections. Built offline (no intersphinx, no theme fetched) and with warnings as errors."""

import logitlab

project = "logitlab"
author = "logitlab's authors"
release = version = logitlab.__version__

extensions = ["sphinx.ext.autodoc", "numpydoc"]

# The page lists each name once, under the name a user imports (logitlab.fit_table); the
# methods come from autodoc's :members:, so numpydoc's own member tables would repeat them.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
add_module_names = False

html_theme = "alabaster"
html_title = f"logitlab {release}"
exclude_patterns = ["_build"]
