"""The floor for starting: a hello-world Textual app (one label)."""

from textual.app import App
from textual.widgets import Label


class Hello(App):
    def compose(self):
        yield Label("hello")


if __name__ == "__main__":
    Hello().run()
