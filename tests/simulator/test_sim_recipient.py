"""Recipients (unknown, other page, blocked, dev mode, phone) and the 24-hour window with tags."""

from __future__ import annotations

import pytest

from simulator import Simulator
from tests.simulator.helpers import ALICE, BOB, CAROL, PAGE_ID, Graph, text_message

WINDOW = (
    "(#10) This message is sent outside of allowed window. Learn more about the new policy here: "
    "https://developers.facebook.com/docs/messenger-platform/policy-overview"
)
HOUR = 3600
DAY = 24 * HOUR


def tagged(tag: str, psid: str = ALICE) -> dict[str, object]:
    return text_message(psid, messaging_type="MESSAGE_TAG", tag=tag)


def feedback(psid: str = ALICE) -> dict[str, object]:
    """A Customer Feedback template, the only message the CUSTOMER_FEEDBACK tag may carry."""
    payload = {
        "template_type": "customer_feedback",
        "title": "Rate us",
        "subtitle": "How did we do?",
        "button_title": "Rate",
        "feedback_screens": [{"questions": [{"id": "q1", "type": "csat"}]}],
    }
    return {
        "recipient": {"id": psid},
        "messaging_type": "MESSAGE_TAG",
        "tag": "CUSTOMER_FEEDBACK",
        "message": {"attachment": {"type": "template", "payload": payload}},
    }


async def test_unknown_psid(graph: Graph, sim: Simulator) -> None:
    reply = await graph.send(text_message("1111111111111111"))
    assert reply.status == 400
    assert reply.error["message"] == "(#100) No matching user found"
    assert (reply.error["code"], reply.error["error_subcode"]) == (100, 2018001)
    assert sim.sent == []


async def test_psid_of_another_page(graph: Graph, sim: Simulator) -> None:
    """PSIDs are page-scoped: Carol's PSID means nothing to the Home page."""
    reply = await graph.send(text_message(CAROL))
    assert (reply.error["code"], reply.error["error_subcode"]) == (100, 2018001)


async def test_user_ref_recipient_is_unknown(graph: Graph) -> None:
    reply = await graph.send(text_message(recipient={"user_ref": "abc"}))
    assert reply.error["error_subcode"] == 2018001


async def test_blocked_user(graph: Graph, sim: Simulator) -> None:
    sim.users[BOB].blocked = True
    reply = await graph.send(text_message(BOB))
    assert reply.status == 400
    assert reply.error["message"] == "(#551) This person isn't available right now."
    assert (reply.error["code"], reply.error["error_subcode"]) == (551, 1545041)
    assert (await graph.send(text_message(ALICE))).status == 200


async def test_blocked_user_also_refuses_sender_actions(graph: Graph, sim: Simulator) -> None:
    sim.users[BOB].blocked = True
    reply = await graph.send({"recipient": {"id": BOB}, "sender_action": "typing_on"})
    assert reply.error["code"] == 551


async def test_dev_mode_without_role(graph: Graph, sim: Simulator) -> None:
    sim.pages[PAGE_ID].dev_mode = True
    sim.users[BOB].has_role = False
    reply = await graph.send(text_message(BOB))
    assert reply.status == 400
    assert (reply.error["code"], reply.error["error_subcode"]) == (200, 2018028)
    assert reply.error["message"].startswith("(#200) Cannot message users who are not admins")
    # Alice has a role on the app, so she still gets messages in development mode.
    assert (await graph.send(text_message(ALICE))).status == 200


async def test_role_does_not_matter_when_live(graph: Graph, sim: Simulator) -> None:
    sim.users[BOB].has_role = False
    assert (await graph.send(text_message(BOB))).status == 200


async def test_blocked_is_checked_before_dev_mode(graph: Graph, sim: Simulator) -> None:
    sim.pages[PAGE_ID].dev_mode = True
    sim.users[BOB].has_role = False
    sim.users[BOB].blocked = True
    assert (await graph.send(text_message(BOB))).error["code"] == 551


async def test_phone_number_is_gated(graph: Graph, sim: Simulator) -> None:
    sim.users[ALICE].phone = "+1 (212) 555-2368"
    reply = await graph.send(text_message(recipient={"phone_number": "+12125552368"}))
    assert reply.status == 400
    assert reply.error["code"] == 10
    assert "Customer Matching" in reply.error["message"]
    assert sim.sent == []


async def test_phone_number_with_matching(graph: Graph, sim: Simulator) -> None:
    sim.pages[PAGE_ID].phone_matching = True
    sim.users[ALICE].phone = "+1 (212) 555-2368"
    reply = await graph.send(text_message(recipient={"phone_number": "+1(212)555-2368"}))
    assert reply.status == 200
    assert "recipient_id" not in reply.body
    assert reply.body["message_id"].startswith("m_")
    sent = sim.sent[0]
    assert sent.recipient == {"phone_number": "+1(212)555-2368"}
    assert sent.recipient_id is None
    unknown = await graph.send(text_message(recipient={"phone_number": "+15550000000"}))
    assert unknown.error["error_subcode"] == 2018001


async def test_window_open_within_24_hours(graph: Graph, sim: Simulator) -> None:
    sim.advance(DAY - 60)
    assert (await graph.send(text_message())).status == 200


@pytest.mark.parametrize("messaging_type", ["RESPONSE", "UPDATE"])
async def test_window_closed_after_24_hours(
    graph: Graph, sim: Simulator, messaging_type: str
) -> None:
    sim.advance(DAY + 60)
    reply = await graph.send(text_message(messaging_type=messaging_type))
    assert reply.status == 400
    assert reply.error["message"] == WINDOW
    assert (reply.error["code"], reply.error["error_subcode"]) == (10, 2018278)
    assert reply.error["type"] == "OAuthException"
    assert sim.sent == []


async def test_last_inbound_given_at_creation(graph: Graph, sim: Simulator) -> None:
    sim.add_user("7777777777777777", "Old friend", last_inbound=sim.now() - 2 * DAY)
    reply = await graph.send(text_message("7777777777777777"))
    assert reply.error["error_subcode"] == 2018278


async def test_window_closed_for_sender_actions(graph: Graph, sim: Simulator) -> None:
    sim.advance(2 * DAY)
    reply = await graph.send({"recipient": {"id": ALICE}, "sender_action": "typing_on"})
    assert reply.error["error_subcode"] == 2018278


async def test_user_message_reopens_window(graph: Graph, sim: Simulator) -> None:
    sim.advance(3 * DAY)
    assert (await graph.send(text_message())).error["error_subcode"] == 2018278
    sim.message_event(ALICE, "I'm back")
    assert sim.users[ALICE].last_inbound == pytest.approx(sim.now(), abs=2)
    assert (await graph.send(text_message())).status == 200


@pytest.mark.parametrize("action", ["postback", "reaction"])
async def test_other_user_actions_reopen_window(graph: Graph, sim: Simulator, action: str) -> None:
    sim.advance(3 * DAY)
    if action == "postback":
        sim.postback_event(ALICE, "Yes", "YES")
    else:
        sim.reaction_event(ALICE, "m_abc")
    assert (await graph.send(text_message())).status == 200


async def test_receipts_do_not_reopen_window(graph: Graph, sim: Simulator) -> None:
    sim.advance(3 * DAY)
    sim.delivery_event(ALICE, ["m_1"], 1)
    sim.read_event(ALICE, 1)
    assert (await graph.send(text_message())).error["error_subcode"] == 2018278


async def test_human_agent_within_seven_days(graph: Graph, sim: Simulator) -> None:
    sim.approve_human_agent()
    sim.advance(3 * DAY)
    reply = await graph.send(tagged("HUMAN_AGENT"))
    assert reply.status == 200
    assert sim.sent[0].tag == "HUMAN_AGENT"
    assert sim.sent[0].messaging_type == "MESSAGE_TAG"


async def test_human_agent_after_seven_days(graph: Graph, sim: Simulator) -> None:
    sim.approve_human_agent()
    sim.advance(7 * DAY + 60)
    reply = await graph.send(tagged("HUMAN_AGENT"))
    assert (reply.error["code"], reply.error["error_subcode"]) == (10, 2018278)


async def test_human_agent_needs_an_approved_app(graph: Graph, sim: Simulator) -> None:
    """Unreviewed apps are refused HUMAN_AGENT, inside the window too (FIDELITY.md F-09)."""
    for delay in (0, 2 * DAY):
        sim.advance(delay)
        reply = await graph.send(tagged("HUMAN_AGENT"))
        assert (reply.status, reply.error["code"]) == (400, 10)
        assert (
            reply.error["message"] == "(#10) Application does not have permission for this action"
        )
    assert sim.sent == []


async def test_customer_feedback_within_seven_days(graph: Graph, sim: Simulator) -> None:
    sim.advance(6 * DAY)
    assert (await graph.send(feedback())).status == 200
    sim.advance(2 * DAY)
    assert (await graph.send(feedback())).error["error_subcode"] == 2018278


async def test_customer_feedback_only_with_its_template(graph: Graph, sim: Simulator) -> None:
    """ "Use in any other form is prohibited and will fail" (FIDELITY.md F-07)."""
    for body in (tagged("CUSTOMER_FEEDBACK"), text_message(tag="CUSTOMER_FEEDBACK")):
        reply = await graph.send(body)
        assert (reply.status, reply.error["code"]) == (400, 100)
        assert reply.error["message"] == "(#100) Invalid parameter"
    assert sim.sent == []


async def test_human_agent_tag_only_counts_with_message_tag_type(
    graph: Graph, sim: Simulator
) -> None:
    """A tag with messaging_type UPDATE does not stretch the window."""
    sim.approve_human_agent()
    sim.advance(2 * DAY)
    reply = await graph.send(text_message(tag="HUMAN_AGENT"))
    assert reply.error["error_subcode"] == 2018278


@pytest.mark.parametrize(
    "tag",
    ["ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "SHIPPING_UPDATE"],
)
async def test_retired_tags_fail_with_100(graph: Graph, sim: Simulator, tag: str) -> None:
    """Retired tags answer error 100, inside the window as well as outside."""
    inside = await graph.send(tagged(tag))
    assert inside.status == 400
    assert inside.error["code"] == 100
    assert "error_subcode" not in inside.error
    assert inside.error["message"] == "(#100) Invalid parameter"  # FIDELITY.md F-08
    sim.advance(3 * DAY)
    assert (await graph.send(tagged(tag))).error["code"] == 100
    assert sim.sent == []


async def test_tags_are_case_insensitive(graph: Graph, sim: Simulator) -> None:
    sim.approve_human_agent()
    sim.advance(2 * DAY)
    assert (await graph.send(tagged("human_agent"))).status == 200


async def test_utility_needs_a_utility_template(graph: Graph, sim: Simulator) -> None:
    plain = await graph.send(text_message(messaging_type="UTILITY"))
    assert plain.error["message"] == "(#100) UTILITY messages must use an approved utility template"
    created = await graph.request(
        "POST",
        f"/v25.0/{PAGE_ID}/message_templates",
        json={
            "name": "order_update",
            "language": "en_US",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Your order is on its way."}],
        },
    )
    assert created.body["status"] == "APPROVED"
    sim.advance(3 * DAY)
    # The attachment form one third party uses, checked like message.template (UNCONFIRMED).
    template = {
        "recipient": {"id": ALICE},
        "messaging_type": "UTILITY",
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "utility",
                    "name": "order_update",
                    "language": {"code": "en_US"},
                },
            }
        },
    }
    assert (await graph.send(template)).status == 200
