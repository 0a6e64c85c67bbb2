"""Reading a request body ahead of the app, then handing the app the request as if unread (pure ASGI)."""

from __future__ import annotations

from starlette.types import Message, Receive


async def read_body(receive: Receive, *, limit: int) -> tuple[list[Message], bytes | None]:
    """The messages as received, and the whole body; None past ``limit`` bytes or when the client left."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` as if ``messages`` had not been read yet."""

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay
