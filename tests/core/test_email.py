"""E-mail of notifications, when configured: sent after the commit, never for rolled-back work."""

import socketserver
import threading

import pytest


class SmtpSink(socketserver.ThreadingTCPServer):
    """A minimal SMTP server on 127.0.0.1 that keeps every message it is sent."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[str] = []


class _SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self):
        def say(line):
            self.wfile.write((line + "\r\n").encode())

        say("220 sink")
        data, lines = False, []
        while line := self.rfile.readline():
            text = line.decode().rstrip("\r\n")
            if data:
                if text == ".":
                    self.server.messages.append("\n".join(lines))
                    data, lines = False, []
                    say("250 ok")
                else:
                    lines.append(text[1:] if text.startswith("..") else text)
            elif text[:4].upper() in ("EHLO", "HELO"):
                say("250 sink")
            elif text[:4].upper() == "DATA":
                data = True
                say("354 go on")
            elif text[:4].upper() == "QUIT":
                say("221 bye")
                return
            else:
                say("250 ok")


@pytest.fixture
def smtp(app):
    server = SmtpSink()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=server.server_address[1])
    yield server
    app.config.update(MAIL_SMTP_HOST="")
    server.shutdown()
    server.server_close()


def test_notifications_are_emailed_after_the_commit(session, make, smtp):
    from marketplace.core.notifications import notify

    parent = make.user("family")
    notify(session, [parent], "Your booking is confirmed", "See you on Friday.", link="/bookings/1")
    assert smtp.messages == []  # nothing before the commit
    session.commit()
    assert len(smtp.messages) == 1
    assert f"To: {parent.email}" in smtp.messages[0] and "Your booking is confirmed" in smtp.messages[0]
    assert "/bookings/1" in smtp.messages[0]


def test_rolled_back_work_sends_nothing(session, make, smtp):
    from marketplace.core.notifications import notify

    parent = make.user("family")
    session.commit()
    try:
        with session.begin_nested():
            notify(session, [parent], "Booked", "")
            raise RuntimeError("the booking failed after all")
    except RuntimeError:
        pass
    notify(session, [parent], "Something real", "")
    session.commit()
    assert [m for m in smtp.messages if "Subject: Booked" in m] == []
    assert len([m for m in smtp.messages if "Subject: Something real" in m]) == 1


def test_without_a_mail_server_nothing_is_sent_and_nothing_fails(session, make, app):
    from marketplace.core.notifications import notify

    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=1)  # nothing listens there
    try:
        notify(session, [make.user("family")], "Hello", "")
        session.commit()  # the failure is logged; the commit stands
    finally:
        app.config.update(MAIL_SMTP_HOST="")
