"""An ISF's thread: the family, the holding provider's staff and its funders' commissioners."""

import html

from sqlalchemy import func, select

from marketplace.core.notifications import Notification
from marketplace.messages.models import Message


def _post(client, token, isf, body):
    return client.post(f"/isfs/{isf.id}/messages", data={"body": body, "csrf_token": token})


def test_every_party_reads_and_writes(session, amy, as_user):
    writers = [amy.parent, amy.holder, amy.funder, amy.council_officer]
    for n, user in enumerate(writers):
        client, token = as_user(user)
        assert _post(client, token, amy.isf, f"Note {n} from {user.name}").status_code == 302
    for user in writers:
        client, _ = as_user(user)
        page = html.unescape(client.get(f"/isfs/{amy.isf.id}").get_data(as_text=True))
        assert all(f"Note {n} from" in page for n in range(4))
    assert f"{amy.funder.name}</strong> ({amy.icb.name})" in page
    assert f"{amy.holder.name}</strong> ({amy.hilltop.name})" in page


def test_everyone_but_the_writer_is_told(session, amy, as_user):
    client, token = as_user(amy.funder)
    _post(client, token, amy.isf, "Please send the quarterly statement.")
    link = f"/isfs/{amy.isf.id}/messages"
    told = set(session.scalars(select(Notification.user_id).where(Notification.link == link)))
    assert told == {amy.parent.id, amy.holder.id, amy.council_officer.id}
    [family_note] = session.scalars(
        select(Notification).where(Notification.user_id == amy.parent.id, Notification.link == link)
    )
    assert family_note.subject.endswith("about your ISF")


def test_people_outside_the_isf_are_refused(session, amy, as_user):
    for outsider in (amy.other_parent, amy.other_provider_user, amy.other_commissioner):
        client, token = as_user(outsider)
        assert client.get(f"/isfs/{amy.isf.id}/messages").status_code == 404
        assert _post(client, token, amy.isf, "Hi").status_code == 404
    client, token = as_user(amy.admin)
    assert client.get(f"/isfs/{amy.isf.id}/messages").status_code == 403
    assert _post(client, token, amy.isf, "Hi").status_code == 403
    assert session.scalar(select(func.count(Message.id))) == 0


def test_an_empty_message_shows_the_error_summary(session, amy, as_user):
    client, token = as_user(amy.holder)
    response = _post(client, token, amy.isf, "")
    assert response.status_code == 422 and "There is a problem" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Message.id))) == 0


def test_the_isf_thread_is_listed_in_each_partys_inbox(session, amy, as_user):
    client, token = as_user(amy.holder)
    _post(client, token, amy.isf, "Statement attached to the review pack.")
    for reader in (amy.parent, amy.funder):
        client, _ = as_user(reader)
        inbox = html.unescape(client.get("/inbox").get_data(as_text=True))
        assert f'href="/isfs/{amy.isf.id}/messages"' in inbox and "Amy's ISF held by" in inbox
    client, _ = as_user(amy.other_parent)
    assert f"/isfs/{amy.isf.id}/messages" not in client.get("/inbox").get_data(as_text=True)
