"""Tokens, apps and users over HTTP: the exchange, debug_token, /me and /me/accounts (ref §7)."""

from __future__ import annotations

from simulator import Simulator
from tests.simulator.helpers import ALICE, PAGE_ID, SECRET, TOKEN, Graph, text_message

APP = "1517776481860111"
DANA = "100000000000001"


def dana(sim: Simulator, **kwargs: object) -> str:
    sim.add_admin(DANA, "Dana", [PAGE_ID])
    return sim.issue_user_token(DANA, **kwargs)  # type: ignore[arg-type]


async def exchange(graph: Graph, short: str, **override: str) -> dict:
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": APP,
        "client_secret": SECRET,
        "fb_exchange_token": short,
    } | override
    reply = await graph.request("GET", "/v25.0/oauth/access_token", token=None, params=params)
    return reply.body


async def test_issued_tokens_look_like_metas_and_expire(graph: Graph, sim: Simulator) -> None:
    short = dana(sim)
    assert short.startswith("EAA") and len(short) > 100
    me = await graph.request("GET", "/me", token=short)
    assert me.body == {"name": "Dana", "id": DANA}
    sim.advance(3601)
    expired = await graph.request("GET", "/me", token=short)
    assert (expired.error["code"], expired.error["error_subcode"]) == (190, 463)


async def test_exchange_gives_a_long_lived_token(graph: Graph, sim: Simulator) -> None:
    body = await exchange(graph, dana(sim))
    assert body["token_type"] == "bearer" and body["expires_in"] == 5183944
    long_lived = body["access_token"]
    sim.advance(30 * 24 * 3600)
    assert (await graph.request("GET", "/v25.0/me", token=long_lived)).body["id"] == DANA
    assert sim.tokens[long_lived].long_lived


async def test_exchange_errors(graph: Graph, sim: Simulator) -> None:
    short = dana(sim)
    missing = await graph.request(
        "GET", "/oauth/access_token", token=None, params={"grant_type": "fb_exchange_token"}
    )
    assert missing.error["code"] == 100 and "client_id" in missing.error["message"]
    wrong = (await exchange(graph, short, client_secret="nope"))["error"]
    assert (wrong["code"], wrong["message"], wrong["type"]) == (
        1,
        "Error validating client secret.",
        "OAuthException",
    )
    assert (await exchange(graph, "garbage"))["error"]["code"] == 190
    assert (await exchange(graph, TOKEN))["error"]["code"] == 190  # a page token
    other_app = sim.issue_user_token(DANA, app_id="999")
    assert (await exchange(graph, other_app))["error"]["code"] == 190
    sim.advance(3601)
    assert (await exchange(graph, short))["error"]["error_subcode"] == 463


async def test_accounts_hand_out_page_tokens(graph: Graph, sim: Simulator) -> None:
    short = dana(sim)
    reply = await graph.request(
        "GET", "/me/accounts", token=short, params={"fields": "id,name,access_token,category,tasks"}
    )
    (page,) = reply.body["data"]
    assert page["id"] == PAGE_ID and page["name"] == "Home" and "MESSAGING" in page["tasks"]
    assert set(reply.body["paging"]["cursors"]) == {"before", "after"}
    page_token = page["access_token"]
    sent = await graph.send(text_message(), token=page_token)
    assert sent.status == 200 and sim.sent[-1].page_id == PAGE_ID
    again = await graph.request("GET", f"/{DANA}/accounts", token=short)
    assert again.body["data"][0]["access_token"] == page_token  # the same token each time
    sim.advance(3601)  # made from a short-lived user token: it ends with it
    assert (await graph.send(text_message(), token=page_token)).error["code"] == 190


async def test_page_tokens_from_long_lived_user_tokens_never_expire(
    graph: Graph, sim: Simulator
) -> None:
    long_lived = dana(sim, long_lived=True)
    reply = await graph.request("GET", "/me/accounts", token=long_lived)
    page_token = reply.body["data"][0]["access_token"]
    assert sim.tokens[page_token].expires_at == 0
    sim.advance(400 * 24 * 3600)
    sim.add_user(ALICE, "Alice")  # the window is open again
    assert (await graph.send(text_message(), token=page_token)).status == 200


async def test_accounts_needs_pages_show_list_and_a_user_token(
    graph: Graph, sim: Simulator
) -> None:
    token = dana(sim, scopes=["pages_messaging"])
    assert (await graph.request("GET", "/me/accounts", token=token)).body == {"data": []}
    with_page = await graph.request("GET", "/me/accounts")
    assert with_page.error["message"] == (
        "(#100) Tried accessing nonexisting field (accounts) on node type (Page)"
    )


async def test_a_user_token_cannot_send_or_read_page_edges(graph: Graph, sim: Simulator) -> None:
    token = dana(sim)
    sent = await graph.send(text_message(), token=token)
    assert sent.error["code"] == 230 and "page access token" in sent.error["message"]
    listed = await graph.request("GET", f"/{PAGE_ID}/conversations", token=token)
    assert listed.error == listed.error | {
        "code": 210,
        "message": "(#210) A page access token is required to request this resource.",
    }


async def test_page_node_gives_its_token_to_an_admin(graph: Graph, sim: Simulator) -> None:
    token = dana(sim)
    reply = await graph.request(
        "GET", f"/v25.0/{PAGE_ID}", token=token, params={"fields": "id,name,access_token"}
    )
    assert reply.body["id"] == PAGE_ID and reply.body["access_token"].startswith("EAA")


async def debug(graph: Graph, input_token: str, access_token: str = f"{APP}|{SECRET}") -> dict:
    reply = await graph.request(
        "GET", "/debug_token", token=access_token, params={"input_token": input_token}
    )
    return reply.body


async def test_debug_token_describes_tokens(graph: Graph, sim: Simulator) -> None:
    user = dana(sim)
    data = (await debug(graph, user))["data"]
    assert data["type"] == "USER" and data["is_valid"] is True and data["user_id"] == DANA
    assert data["app_id"] == APP and data["expires_at"] == int(sim.tokens[user].expires_at)
    assert {"scope": "pages_messaging", "target_ids": [PAGE_ID]} in data["granular_scopes"]
    page = (await debug(graph, TOKEN))["data"]
    assert page["type"] == "PAGE" and page["expires_at"] == 0 and page["profile_id"] == PAGE_ID
    assert page["user_id"] == DANA  # the page's admin
    assert "pages_utility_messaging" in page["scopes"]


async def test_debug_token_invalid_tokens(graph: Graph, sim: Simulator) -> None:
    user = dana(sim)
    sim.advance(3601)
    expired = (await debug(graph, user))["data"]
    assert expired["is_valid"] is False and expired["error"]["code"] == 190
    assert expired["error"]["subcode"] == 463 and expired["type"] == "USER"
    other = sim.issue_user_token(DANA, app_id="999")
    assert (await debug(graph, other))["data"]["is_valid"] is False
    unknown = (await debug(graph, "garbage"))["data"]
    assert unknown["is_valid"] is False and unknown["error"]["code"] == 190
    wrong_app = await debug(graph, TOKEN, f"{APP}|not-the-secret")
    assert wrong_app["error"]["code"] == 190
    sim.pages[PAGE_ID].token_state = "invalidated"
    page = (await debug(graph, TOKEN))["data"]
    assert page["is_valid"] is False and page["error"]["subcode"] == 460


async def test_conversations_need_their_permissions(graph: Graph, sim: Simulator) -> None:
    sim.add_page(PAGE_ID, "Home", TOKEN, app_secret=SECRET, scopes=["pages_messaging"])
    reply = await graph.request("GET", f"/{PAGE_ID}/conversations")
    assert reply.error["code"] == 200 and "pages_manage_metadata" in reply.error["message"]
    sim.add_page(
        PAGE_ID,
        "Home",
        TOKEN,
        app_secret=SECRET,
        scopes=["pages_messaging", "pages_manage_metadata"],
    )
    reply = await graph.request("GET", f"/{PAGE_ID}/conversations")
    assert "requires pages_read_engagement permission" in reply.error["message"]


async def test_token_faults_target_edges_by_name(graph: Graph, sim: Simulator) -> None:
    user = dana(sim)
    sim.inject_error(4, paths="oauth")
    assert (await exchange(graph, user))["error"]["code"] == 4
    sim.inject_error(2, paths=["debug_token", "accounts"], count=2)
    assert (await debug(graph, user))["error"]["code"] == 2
    assert (await graph.request("GET", "/me/accounts", token=user)).error["code"] == 2


async def test_appsecret_proof_is_checked_for_user_tokens(graph: Graph, sim: Simulator) -> None:
    user = dana(sim)
    bad = await graph.request("GET", "/me", token=user, params={"appsecret_proof": "00"})
    assert bad.error["message"] == "Invalid appsecret_proof provided in the API argument"
    assert sim.requests[-1].path == "/me"
