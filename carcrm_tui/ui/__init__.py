"""The Textual UI. Imported lazily by the CLI: headless commands never load it."""
