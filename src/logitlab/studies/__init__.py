"""One module per study: run_<study>(config) -> a record of plain values. No files, no figures."""
