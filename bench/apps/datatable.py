"""The floor for a key: Textual's own DataTable, 1,000 rows, a row cursor moved by ↑/↓."""

from textual.app import App
from textual.widgets import DataTable

ROWS = 1000


class Floor(App):
    def compose(self):
        yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("due", "customer", "grade", "stage", "vehicle", "channel", "why")
        table.add_rows((f"in {i % 48}h", f"customer {i}", "HABC"[i % 4], "needs", "Han EV", "phone",
                        "the grade's cadence") for i in range(ROWS))
        table.focus()


if __name__ == "__main__":
    Floor().run()
