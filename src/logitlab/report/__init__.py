"""Files out: atomic output folders and files (staging), CSV/JSON/figures (writers), the
pages from Jinja2 templates (html, templates/), and one writer per study,
write_<study>(run, folder) -> the names it wrote."""
