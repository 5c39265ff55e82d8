"""Storage: Peewee models, database setup, versioned schema. Only services import this."""
