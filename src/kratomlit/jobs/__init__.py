"""Jobs that join a stage to the store and record the run: fetch, import, tag, follow links."""
