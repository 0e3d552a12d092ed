from manage.cli import app

app()
