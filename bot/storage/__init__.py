"""SQLAlchemy implementations of the core's ports, and the database's lifecycle."""
