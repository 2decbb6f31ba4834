"""A FastAPI-style module that registers with `@mizan.client` on the
default registry (what `export-ir` falls back to)."""

from mizan import client


@client(context="numbers")
def lucky(seed: int = 7) -> int:
    """A lucky number."""
    return seed


@client(affects="numbers")
async def reseed(seed: int) -> int:
    """Changes the seed."""
    return seed
