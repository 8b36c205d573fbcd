"""The ceiling to compare against: a minimal Flask + Jinja page served with the same gunicorn settings.
Not part of the product.

The page comes from a template file, as every page of the product does, so Jinja compiles it once per
process; `render_template_string` would compile it on every request and make the ceiling ~6x lower."""

from flask import Flask, render_template

app = Flask(__name__)


@app.get("/")
def index():
    return render_template("baseline.html", title="Baseline", items=[f"Item {i}" for i in range(10)])
