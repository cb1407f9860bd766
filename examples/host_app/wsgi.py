from examples.host_app.app import create_app

app = create_app()
