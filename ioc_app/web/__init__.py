"""The web process: Flask server with login, the Dash app and its assets."""
