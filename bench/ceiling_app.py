"""The ceiling for the API bench: a bare FastAPI POST endpoint that parses the same JSON body."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

# Same FastAPI settings as botdesk's app (no OpenTelemetry checks), for a fair ceiling.
app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})


class Body(BaseModel):
    task_id: str
    chat_id: str
    message: str


@app.post("/api/1.1/wf/send_message_external")
async def send(body: Body) -> dict:
    return {"status": "success", "response": {"thread": {"chat_id": body.chat_id}}}
