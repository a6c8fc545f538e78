"""Files out: atomic output folders and CSV/JSON (files), the HTML page kit (html), and one
writer per study, write_<study>(run, folder) -> the names it wrote."""
