"""The coordinator's review web app: a server-rendered Flask app on the warehouse (see README.md)."""
