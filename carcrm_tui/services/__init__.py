"""Use cases. Every read and write of the UI and the CLI goes through here with
the acting account, so visibility rules, validation and versions live once."""
