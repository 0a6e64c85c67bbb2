"""The data layer: the pool, migrations, the embedded server, and one module of
named queries per table. Queries take a connection so that callers decide the
transaction."""
