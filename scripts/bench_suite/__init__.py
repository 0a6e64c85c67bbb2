"""scripts/bench: Renkei under load, each scenario beside a bare Starlette + asyncpg ceiling."""
