from eakte import create_app

app = create_app()
