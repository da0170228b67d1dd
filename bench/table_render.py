"""How long Chromium takes to draw a table sent by a callback: as Dash components, and as the
one escaped-HTML Markdown that `layouts.tables.table` sends (docs/decisions.md, 2026-12-02).

    python -m bench.table_render --rows 100 400
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time

from dash import Dash, Input, Output, dcc, html

from tests.browser import chromium
from tests.demo_instance import free_port

COLUMNS = 7


def _app(rows: int) -> Dash:
    app = Dash(__name__)
    app.layout = html.Div([html.Button("components", id="components"), html.Button("markdown", id="markdown"),
                           html.Div(id="out-components"), html.Div(id="out-markdown")])

    @app.callback(Output("out-components", "children"), Input("components", "n_clicks"), prevent_initial_call=True)
    def components(_):
        return html.Table(html.Tbody([html.Tr([html.Td(f"r{i}c{j}") for j in range(COLUMNS)]) for i in range(rows)]),
                          id="done-components")

    @app.callback(Output("out-markdown", "children"), Input("markdown", "n_clicks"), prevent_initial_call=True)
    def markdown(_):
        body = "".join("<tr>" + "".join(f"<td>r{i}c{j}</td>" for j in range(COLUMNS)) + "</tr>" for i in range(rows))
        return dcc.Markdown(f"<table><tbody>{body}</tbody></table>", dangerously_allow_html=True, id="done-markdown")

    return app


def measure(rows: int) -> dict[str, float]:
    """Seconds from the click to the table's last row in the page, for each way of sending it."""
    port = free_port()
    threading.Thread(target=_app(rows).run, kwargs={"port": port}, daemon=True).start()
    time.sleep(3)
    found = {}
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}")
        page.wait_for_selector("#components")
        for way in ("markdown", "components"):
            start = time.monotonic()
            page.click(f"#{way}")
            page.wait_for_selector(f"#done-{way} tr >> nth={rows - 1}", timeout=300_000)
            found[way] = round(time.monotonic() - start, 2)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 400])
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    found = {}
    for rows in parser.parse_args().rows:
        found[f"{rows}x{COLUMNS}"] = measure(rows)
        print(f"{rows} rows x {COLUMNS} cells: {found[f'{rows}x{COLUMNS}']}", file=sys.stderr, flush=True)
    print(json.dumps(found))


if __name__ == "__main__":
    main()
