from honestcount.cli import app

app()
