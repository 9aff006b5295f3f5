from botdesk.cli import app

app()
