"""The `botdesk` command as a user runs it: real processes, real HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import databases
from tests.support.server import botdesk_env, run_cli, running_server


@pytest.fixture
def env(backend: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    if backend == "sqlite":
        yield botdesk_env(f"sqlite+aiosqlite:///{tmp_path}/fresh.db")
        return
    databases.require_postgres()
    name = f"botdesk_cli_{tmp_path.name[-8:].replace('-', '_')}"
    databases._admin(f'DROP DATABASE IF EXISTS "{name}"')
    databases._admin(f'CREATE DATABASE "{name}"')
    yield botdesk_env(databases._async_url(name))
    databases.drop_postgres_database(name)


def test_migrate_then_bootstrap_prints_one_json_line(env: dict[str, str]) -> None:
    run_cli(env, "migrate")
    out = run_cli(
        env, "bootstrap", "--email", "Owner@Example.com", "--password", "pw", "--company", "Acme"
    ).stdout
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1
    first = json.loads(lines[0])
    assert set(first) == {"company_id", "user_id", "api_key"}
    again = json.loads(
        run_cli(
            env,
            "bootstrap",
            "--email",
            "owner@example.com",
            "--password",
            "other",
            "--company",
            "Acme",
        ).stdout
    )
    assert again["company_id"] == first["company_id"] and again["user_id"] == first["user_id"]
    assert again["api_key"] != first["api_key"]


def test_keys_bootstrapped_while_the_server_runs_work_at_once(env: dict[str, str]) -> None:
    with running_server(env, "--no-worker") as base:
        boot = json.loads(
            run_cli(
                env,
                "bootstrap",
                "--email",
                "late@example.com",
                "--password",
                "pw",
                "--company",
                "Late",
            ).stdout
        )
        headers = {"Authorization": f"Bearer {boot['api_key']}"}
        response = httpx.post(
            f"{base}/v1/channels", json={"name": "c", "type": "api"}, headers=headers
        )
        assert response.status_code == 201, response.text


def test_demo_is_idempotent_and_its_curl_answers_with_the_seed_envelope(
    env: dict[str, str],
) -> None:
    first = run_cli(env, "demo").stdout
    second = run_cli(env, "demo").stdout
    task_line = next(line for line in first.splitlines() if "demo task:" in line)
    assert task_line in second  # same task both times
    curl = first[first.index("curl") :].split("\n\n")[0]
    key = curl.split("Bearer ")[1].split("'")[0]
    body = json.loads(curl.split("-d '")[1].rsplit("'", 1)[0])
    with running_server(env, "--no-worker") as base:
        response = httpx.post(
            f"{base}/api/1.1/wf/send_message_external",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
        )
    assert response.status_code == 200
    assert response.json()["status"] == "success"
    assert response.json()["response"]["thread"]["chat_id"] == body["chat_id"]


def test_help_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "botdesk", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("serve", "worker", "migrate", "bootstrap", "demo"):
        assert command in out
