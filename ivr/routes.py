"""The Twilio Voice webhooks, and the wake-up hub each server process keeps."""

from __future__ import annotations

from starlette.routing import Route

from ivr import webhook
from ivr.wakeup import WakeupHub
from server.runtime import Runtime

routes = [
    Route(webhook.VOICE_PATH, webhook.voice, methods=["POST"]),
    Route(webhook.STATUS_PATH, webhook.status, methods=["POST"]),
]


async def startup(runtime: Runtime) -> None:
    hub = WakeupHub(runtime.listener, runtime.pool)
    await hub.start()
    runtime.exit_stack.push_async_callback(hub.close)
    runtime.lifecycle.on_drain(hub.release_all)  # open event streams stop waiting and tell their page to reconnect
    runtime.extras["wakeup"] = hub
