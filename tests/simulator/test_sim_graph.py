"""Graph API routing, tokens, appsecret_proof, /me, usage headers and request recording."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import aiohttp
import pytest

from simulator import Simulator
from tests.simulator.helpers import (
    ALICE,
    CAROL,
    OTHER_PAGE_ID,
    OTHER_TOKEN,
    PAGE_ID,
    SECRET,
    TOKEN,
    Graph,
    text_message,
)


def proof(secret: str = SECRET, token: str = TOKEN) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------- tokens


async def test_token_in_query(graph: Graph, sim: Simulator) -> None:
    reply = await graph.send(text_message())
    assert reply.status == 200
    assert sim.requests[-1].token == TOKEN
    assert sim.requests[-1].token_source == "query"


async def test_token_in_json_body(graph: Graph, sim: Simulator) -> None:
    reply = await graph.send(text_message(access_token=TOKEN), token=None)
    assert reply.status == 200
    assert sim.requests[-1].token_source == "json"


async def test_token_in_form_field(graph: Graph, sim: Simulator) -> None:
    form = {
        "recipient": json.dumps({"id": ALICE}),
        "messaging_type": "UPDATE",
        "message": json.dumps({"text": "hi"}),
        "access_token": TOKEN,
    }
    reply = await graph.request("POST", "/v25.0/me/messages", data=form, token=None)
    assert reply.status == 200
    assert sim.requests[-1].token_source == "form"


async def test_token_in_multipart_field(graph: Graph, sim: Simulator) -> None:
    form = aiohttp.FormData()
    form.add_field("recipient", json.dumps({"id": ALICE}))
    form.add_field("messaging_type", "UPDATE")
    form.add_field("message", json.dumps({"text": "hi"}))
    form.add_field("access_token", TOKEN)
    form.add_field("filedata", b"unused", filename="x.bin", content_type="application/octet-stream")
    reply = await graph.request("POST", "/v25.0/me/messages", data=form, token=None)
    assert reply.status == 200
    assert sim.requests[-1].token_source == "form"


@pytest.mark.parametrize("scheme", ["Bearer", "OAuth", "bearer"])
async def test_token_in_authorization_header(graph: Graph, sim: Simulator, scheme: str) -> None:
    headers = {"Authorization": f"{scheme} {TOKEN}"}
    reply = await graph.send(text_message(), token=None, headers=headers)
    assert reply.status == 200
    recorded = sim.requests[-1]
    assert recorded.token == TOKEN
    assert recorded.token_source == "header"
    assert "access_token" not in recorded.query


async def test_missing_token(graph: Graph, sim: Simulator) -> None:
    reply = await graph.request("GET", "/v25.0/me", token=None)
    assert reply.status == 400
    assert reply.error["code"] == 2500
    assert reply.error["message"] == (
        "An active access token must be used to query information about the current user."
    )
    assert "error_subcode" not in reply.error
    assert reply.headers["WWW-Authenticate"].startswith('OAuth "Facebook Platform"')
    assert sim.requests[-1].token_source is None


async def test_unknown_token(graph: Graph) -> None:
    reply = await graph.send(text_message(), token="garbage")
    assert reply.status == 400
    assert reply.error == {
        "message": "Invalid OAuth access token - Cannot parse access token",
        "type": "OAuthException",
        "code": 190,
        "fbtrace_id": reply.error["fbtrace_id"],
    }


async def test_expired_token(graph: Graph, sim: Simulator) -> None:
    sim.pages[PAGE_ID].token_state = "expired"
    reply = await graph.request("GET", "/v25.0/me")
    assert reply.status == 400
    assert (reply.error["code"], reply.error["error_subcode"]) == (190, 463)
    assert reply.error["message"].startswith(
        "Error validating access token: Session has expired on "
    )
    assert "The current time is" in reply.error["message"]


async def test_invalidated_token(graph: Graph, sim: Simulator) -> None:
    sim.pages[PAGE_ID].token_state = "invalidated"
    reply = await graph.send(text_message())
    assert (reply.error["code"], reply.error["error_subcode"]) == (190, 460)
    assert "invalidated" in reply.error["message"]
    assert sim.sent == []


async def test_token_decides_the_page(graph: Graph, sim: Simulator) -> None:
    """/me resolves to the token's page; Carol belongs to the other page."""
    reply = await graph.request("GET", "/v25.0/me", token=OTHER_TOKEN)
    assert reply.body == {"id": OTHER_PAGE_ID, "name": "Cabin"}
    sent = await graph.send(text_message(CAROL), token=OTHER_TOKEN)
    assert sent.status == 200
    assert sim.sent[-1].page_id == OTHER_PAGE_ID


# ----------------------------------------------------------------------------- appsecret_proof


async def test_correct_appsecret_proof(graph: Graph, sim: Simulator) -> None:
    reply = await graph.send(text_message(), params={"appsecret_proof": proof()})
    assert reply.status == 200
    assert sim.requests[-1].appsecret_proof == proof()


async def test_appsecret_proof_in_body(graph: Graph, sim: Simulator) -> None:
    reply = await graph.send(
        text_message(appsecret_proof=proof()),
        token=None,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert reply.status == 200
    assert sim.requests[-1].appsecret_proof == proof()


async def test_wrong_appsecret_proof(graph: Graph, sim: Simulator) -> None:
    reply = await graph.send(text_message(), params={"appsecret_proof": proof("not-the-secret")})
    assert reply.status == 400
    assert reply.error["code"] == 100
    assert reply.error["type"] == "GraphMethodException"
    assert reply.error["message"] == "Invalid appsecret_proof provided in the API argument"
    assert sim.sent == []


async def test_appsecret_proof_required(graph: Graph, sim: Simulator) -> None:
    sim.pages[PAGE_ID].require_appsecret_proof = True
    reply = await graph.request("GET", "/v25.0/me")
    assert reply.status == 400
    assert reply.error["code"] == 100
    assert "error_subcode" not in reply.error
    assert reply.error["message"] == "API calls from the server require an appsecret_proof argument"
    ok = await graph.request("GET", "/v25.0/me", params={"appsecret_proof": proof()})
    assert ok.status == 200


async def test_appsecret_proof_optional_by_default(graph: Graph) -> None:
    assert (await graph.request("GET", "/v25.0/me")).status == 200


def test_require_proof_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="app_secret"):
        Simulator().add_page("1", "x", "t", require_appsecret_proof=True)


# ----------------------------------------------------------------------------- /me and routing


async def test_me_fields(graph: Graph) -> None:
    reply = await graph.request("GET", "/v25.0/me", params={"fields": "id,name"})
    assert reply.status == 200
    assert reply.body == {"id": PAGE_ID, "name": "Home"}
    only_id = await graph.request("GET", "/v25.0/me", params={"fields": "id"})
    assert only_id.body == {"id": PAGE_ID}


async def test_me_unknown_field(graph: Graph) -> None:
    reply = await graph.request("GET", "/v25.0/me", params={"fields": "id,my_name"})
    assert reply.status == 400
    assert reply.error["code"] == 100
    assert reply.error["message"] == "(#100) Unknown fields: my_name."


async def test_page_node_by_id(graph: Graph) -> None:
    reply = await graph.request("GET", f"/v25.0/{PAGE_ID}", params={"fields": "id,name"})
    assert reply.body == {"id": PAGE_ID, "name": "Home"}


async def test_send_to_page_id_path(graph: Graph, sim: Simulator) -> None:
    reply = await graph.request("POST", f"/v25.0/{PAGE_ID}/messages", json=text_message())
    assert reply.status == 200
    assert sim.sent[0].page_id == PAGE_ID


async def test_page_id_must_match_token(graph: Graph, sim: Simulator) -> None:
    reply = await graph.request("POST", f"/v25.0/{OTHER_PAGE_ID}/messages", json=text_message())
    assert reply.status == 400
    assert (reply.error["code"], reply.error["error_subcode"]) == (100, 33)
    assert reply.error["type"] == "GraphMethodException"
    assert reply.error["message"].startswith(
        f"Unsupported post request. Object with ID '{OTHER_PAGE_ID}' does not exist"
    )
    assert sim.sent == []


@pytest.mark.parametrize(
    ("path", "components"),
    [
        ("/v25.0/me/boguspath", "/boguspath"),
        ("/v25.0/nothing", "/nothing"),
        (f"/v25.0/{PAGE_ID}/feed/extra", "/feed/extra"),
        ("/v25.0/", "/"),
    ],
)
async def test_unknown_path(graph: Graph, path: str, components: str) -> None:
    reply = await graph.request("GET", path)
    assert reply.status == 400
    assert reply.error["code"] == 2500
    assert reply.error["type"] == "OAuthException"
    assert reply.error["message"] == f"Unknown path components: {components}"


async def test_wrong_method(graph: Graph) -> None:
    reply = await graph.request("GET", "/v25.0/me/messages")
    assert reply.status == 400
    assert reply.error["code"] == 100
    assert reply.error["message"].startswith("Unsupported get request.")


async def test_versions_and_unversioned_paths(graph: Graph, sim: Simulator) -> None:
    """Any vN.N works; unversioned paths use the default version (in the version header)."""
    old = await graph.request("GET", "/v23.0/me")
    assert old.status == 200
    assert old.headers["facebook-api-version"] == "v23.0"
    bare = await graph.request("GET", "/me")
    assert bare.body["id"] == PAGE_ID
    assert bare.headers["facebook-api-version"] == sim.default_version == "v25.0"
    sent = await graph.request("POST", "/me/messages", json=text_message())
    assert sent.status == 200


async def test_default_version_configurable(http: aiohttp.ClientSession) -> None:
    async with Simulator(default_version="v24.0") as other:
        other.add_page(token="t")
        async with http.get(other.url + "/me", params={"access_token": "t"}) as response:
            assert response.headers["facebook-api-version"] == "v24.0"


# ----------------------------------------------------------------------------- usage headers


async def test_usage_headers_on_success_and_error(graph: Graph, sim: Simulator) -> None:
    sim.usage_budget_per_minute = 10
    for _ in range(2):
        await graph.send(text_message())
    error = await graph.send(text_message("999"))
    assert error.status == 400
    app = json.loads(error.headers["x-app-usage"])
    assert app == {"call_count": 30, "total_cputime": 7, "total_time": 15}
    buc = json.loads(error.headers["x-business-use-case-usage"])
    assert list(buc) == [PAGE_ID]
    (usage,) = buc[PAGE_ID]
    assert usage["type"] == "messenger"
    assert usage["call_count"] == 30
    assert usage["estimated_time_to_regain_access"] == 0
    assert {"total_cputime", "total_time"} <= set(usage)


async def test_usage_is_per_page_in_buc(graph: Graph, sim: Simulator) -> None:
    sim.usage_budget_per_minute = 100
    for _ in range(3):
        await graph.request("GET", "/v25.0/me")
    other = await graph.request("GET", "/v25.0/me", token=OTHER_TOKEN)
    assert json.loads(other.headers["x-app-usage"])["call_count"] == 4
    buc = json.loads(other.headers["x-business-use-case-usage"])
    assert buc[OTHER_PAGE_ID][0]["call_count"] == 1


async def test_set_usage_overrides(graph: Graph, sim: Simulator) -> None:
    sim.set_usage(call_count=97, estimated_time_to_regain_access=5)
    reply = await graph.send(text_message())
    assert json.loads(reply.headers["x-app-usage"])["call_count"] == 97
    usage = json.loads(reply.headers["x-business-use-case-usage"])[PAGE_ID][0]
    assert (usage["call_count"], usage["estimated_time_to_regain_access"]) == (97, 5)
    sim.set_usage()
    reply = await graph.send(text_message())
    assert json.loads(reply.headers["x-app-usage"])["call_count"] == 0


async def test_no_buc_header_without_a_page(graph: Graph) -> None:
    reply = await graph.request("GET", "/v25.0/me", token="garbage")
    assert "x-app-usage" in reply.headers
    assert "x-business-use-case-usage" not in reply.headers


# ----------------------------------------------------------------------------- recording


async def test_request_recording(graph: Graph, sim: Simulator) -> None:
    before = time.monotonic()
    reply = await graph.send(text_message(text="record me"), headers={"X-Test": "1"})
    recorded = sim.requests[-1]
    assert recorded.method == "POST"
    assert recorded.path == "/v25.0/me/messages"
    assert recorded.query == {"access_token": TOKEN}
    assert recorded.headers["X-Test"] == "1"
    assert json.loads(recorded.raw_body) == text_message(text="record me")
    assert recorded.body == text_message(text="record me")
    assert recorded.files == {}
    assert recorded.page_id == PAGE_ID
    assert recorded.status == 200
    assert recorded.response == reply.body
    assert before <= recorded.received_at <= time.monotonic()
    sent = sim.sent[-1]
    assert sent.received_at == recorded.received_at
    assert abs(sent.sent_at - sim.now()) < 5
    assert sent.messaging_type == "UPDATE"
    assert sent.tag is None
    assert sent.notification_type is None


async def test_count_errors_and_clear(graph: Graph, sim: Simulator) -> None:
    await graph.send(text_message("404"))
    await graph.send(text_message("405"))
    await graph.send(text_message(), token="garbage")
    await graph.send(text_message())
    assert sim.count_errors(100) == 2
    assert sim.count_errors(190) == 1
    assert sim.count_errors(613) == 0
    assert len(sim.requests) == 4
    assert len(sim.sent) == 1
    sim.clear()
    assert (sim.requests, sim.sent, sim.count_errors(100)) == ([], [], 0)
    assert ALICE in sim.users  # the world stays


async def test_clock(sim: Simulator) -> None:
    start = sim.now()
    assert abs(start - time.time()) < 1
    sim.advance(3600)
    assert 3599 < sim.now() - start < 3602
    assert sim.clock_offset == 3600
