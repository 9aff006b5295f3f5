"""Every panel page renders for a company with a full set-up and a dialog."""


async def test_pages_render(logged_in, make_setup, client):
    tenant, b = await logged_in("Acme")
    setup = await make_setup(tenant)
    sent = await client.post(
        "/api/1.1/wf/send_message_external",
        json={"task_id": setup.task["id"], "chat_id": "42", "message": "<script>alert(1)</script>"},
        headers=tenant.headers,
    )
    thread_id = sent.json()["response"]["thread"]["_id"]
    for path in [
        "/panel/chats",
        f"/panel/chats/{thread_id}",
        "/panel/channels",
        "/panel/ais",
        f"/panel/ais/{setup.ai['id']}",
        "/panel/integrations",
        f"/panel/integrations/{setup.integration['id']}",
        "/panel/tasks",
        f"/panel/tasks/{setup.task['id']}",
        "/panel/lists",
        "/panel/managers",
        "/panel/companies",
        "/panel/api-keys",
        "/panel/dashboard",
        "/panel/dashboard.csv",
    ]:
        r = await b.get(path)
        assert r.status_code == 200, (path, r.text[:3000])
