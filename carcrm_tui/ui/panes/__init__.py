"""The panes of the main screen, one module each: what a pane shows, its keys and their actions."""
