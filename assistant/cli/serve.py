"""`study ui`: check the bind address, then hand the process to Streamlit."""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.core.settings import Settings


def cmd_ui(args, settings: Settings) -> int:
    import os

    from ui.access import bind_problem, is_loopback

    password = settings.ui_password.get_secret_value() if settings.ui_password else None
    insecure = args.insecure_no_auth or settings.ui_insecure_no_auth
    if problem := bind_problem(args.host, password, insecure):
        raise problem
    app = Path(__file__).resolve().parents[2] / "ui" / "app.py"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", args.host, "--server.port", str(args.port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        # A click while an answer streams (Stop, another view) reruns the same session's
        # script once the answer has kept its turn, not beside it in a second thread.
        "--runner.fastReruns", "false",
        # A learner's page, not a developer's: no "Deploy" button, no "clear cache" menu.
        "--client.toolbarMode", "viewer",
    ]
    if not is_loopback(args.host):  # visitors see no tracebacks, no reload on edit
        cmd += ["--client.showErrorDetails", "type", "--server.fileWatcherType", "none"]
    if insecure:
        os.environ["STUDY_UI_INSECURE_NO_AUTH"] = "1"  # the app checks the bind again
    guard = "password required" if password else ("no access control" if insecure else "this machine only")
    print(f"Study assistant at http://{args.host}:{args.port} ({guard}; Ctrl-C to stop)", file=sys.stderr)
    sys.stdout.flush()
    os.execv(sys.executable, cmd)  # the app reads the same STUDY_ settings from the environment
    return 0



def register(sub) -> None:
    p = sub.add_parser("ui", help="start the chat in the browser (Streamlit)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    p.add_argument("--port", type=int, default=8501, help="port (default: 8501)")
    p.add_argument("--insecure-no-auth", action="store_true",
                   help="serve beyond loopback without STUDY_UI_PASSWORD (only behind a proxy that authenticates)")
    p.set_defaults(func=cmd_ui)
