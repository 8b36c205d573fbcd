"""Entry point: `python run.py` serves the app on http://127.0.0.1:5000; `flask --app run ...` for commands."""

import os

from lms import create_app

app = create_app()

if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5000"))
    print(f"Sparetime is running at http://127.0.0.1:{port}/")
    print(f"Demo logins (password: {app.config['DEMO_PASSWORD']}): "
          "learner@example.com, instructor@example.com, admin@example.com")  # fmt: skip
    app.run(host="127.0.0.1", port=port, debug=os.environ.get("FLASK_DEBUG") == "1")
