"""`botdesk webhook-listen` prints webhooks, says whether the signature holds, answers 200."""

from __future__ import annotations

import time

import aiohttp
import pytest

from botdesk.webhooks.listen import start_listener
from botdesk.webhooks.signing import new_secret, signature_headers

pytestmark = pytest.mark.timeout(30)


async def test_listener_prints_and_verifies() -> None:
    secret = new_secret()
    printed: list[str] = []
    runner = await start_listener(0, secret, out=printed.append)
    port = runner.addresses[0][1]
    body = b'{"message_text":"hi"}'
    try:
        async with aiohttp.ClientSession() as http:
            good = signature_headers([secret], "msg_good", int(time.time()), body)
            bad = signature_headers([new_secret()], "msg_bad", int(time.time()), body)
            for headers in (good, bad):
                async with http.post(f"http://127.0.0.1:{port}/", data=body, headers=headers) as r:
                    assert r.status == 200
    finally:
        await runner.cleanup()
    assert "msg_good" in printed[0] and "signature OK" in printed[0] and '"hi"' in printed[0]
    assert "msg_bad" in printed[1] and "signature INVALID" in printed[1]
