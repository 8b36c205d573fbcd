"""The ceiling to compare against: a minimal Flask + Jinja page served with the same gunicorn settings.
Not part of the product."""

from flask import Flask, render_template_string

app = Flask(__name__)

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul></body></html>"""


@app.get("/")
def index():
    return render_template_string(PAGE, title="Baseline", items=[f"Item {i}" for i in range(10)])
