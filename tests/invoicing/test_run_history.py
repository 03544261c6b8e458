"""Invoice runs are recorded: the run page's history shows each run that concerns the provider —
when, through which date, by whom (a person, the daily run or the command line), how many of its
invoices and their total, and whether it finished. Its invoices point at their run."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.invoicing import jobs, views
from marketplace.invoicing.models import Invoice, InvoiceRun, RunSource
from marketplace.invoicing.runs import run_invoices
from tests.invoicing.test_runs import fail_for_payer


def uk(day) -> str:
    return f"{day.day} {day:%B %Y}"


def history(client) -> list[list[str]]:
    """The run page's history table, a list of cells per row."""
    text = client.get("/invoices/run").get_data(as_text=True)
    table = text[text.index("Invoice runs") :]
    table = table[: table.index("</table>")] if "</table>" in table else ""
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", table, re.S)
        if "<td" in row
    ]


@pytest.fixture
def stays(world, monkeypatch):
    first = world.delivered(units=2, days_ahead=10)
    second = world.delivered(units=1, days_ahead=11)
    monkeypatch.setattr(views, "today", lambda: world.service_date(second) + timedelta(days=1))
    return first, second


def test_a_run_from_the_page_is_recorded_with_who_when_and_what(client, session, world, sign_in, csrf, stays):
    first, second = stays
    sign_in(world.provider)
    client.post(
        "/invoices/run", data={"csrf_token": csrf(), "through": world.service_date(first).isoformat()}
    )
    client.post(
        "/invoices/run", data={"csrf_token": csrf(), "through": world.service_date(second).isoformat()}
    )
    client.post(
        "/invoices/run", data={"csrf_token": csrf(), "through": world.service_date(second).isoformat()}
    )
    runs = session.scalars(select(InvoiceRun).order_by(InvoiceRun.id)).all()
    assert [(r.source, r.started_by_id, r.provider_id) for r in runs] == [
        (RunSource.PAGE, world.provider.id, world.provider_org.id)
    ] * 3
    assert all(r.finished_at is not None for r in runs)
    first_run_invoices = session.scalars(select(Invoice).where(Invoice.run_id == runs[0].id)).all()
    assert sorted(i.total for i in first_run_invoices) == [19_667, 39_333]  # £196.67 and £393.33
    rows = history(client)
    assert [row[1:] for row in rows] == [  # newest first
        [uk(world.service_date(second)), world.provider.name, "0", "£0.00", "Nothing new to bill"],
        [uk(world.service_date(second)), world.provider.name, "2", "£295.00", "Finished"],
        [uk(world.service_date(first)), world.provider.name, "2", "£590.00", "Finished"],
    ]
    assert all(
        re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4} \d{2}:\d{2}", row[0]) for row in rows
    )  # when, UK style


def test_the_daily_run_shows_with_only_this_providers_invoices(
    client, session, world, sign_in, stays, monkeypatch
):
    first, second = stays
    other_user, other_offer = world.other_provider()
    world.delivered(units=1, days_ahead=10, offer=other_offer)
    monkeypatch.setattr(jobs, "today", lambda: world.service_date(second) + timedelta(days=1))
    jobs.daily_invoice_job()
    run = session.scalars(select(InvoiceRun)).one()
    assert (run.source, run.provider_id, run.started_by_id) == (RunSource.SCHEDULE, None, None)
    sign_in(world.provider)
    [row] = history(client)
    assert row[1:] == [uk(world.service_date(second)), "Daily run", "2", "£885.00", "Finished"]
    sign_in(other_user)
    [row] = history(client)
    assert row[2:4] == ["Daily run", "2"] and row[4] == "£295.00"  # Seaview's own stay, split in two


def test_a_run_that_concerned_another_provider_only_is_not_in_its_history(
    client, session, world, sign_in, make
):
    other_user, other_offer = world.other_provider()
    stay = world.delivered(units=1, offer=other_offer)
    run_invoices(session, world.service_date(stay), source=RunSource.COMMAND)
    sign_in(world.provider)
    assert history(client) == []
    assert "No invoice runs yet" in client.get("/invoices/run").get_data(as_text=True)
    sign_in(other_user)
    assert history(client)[0][2:] == ["Command line", "2", "£295.00", "Finished"]


def test_a_run_killed_midway_says_it_stopped(client, session, world, sign_in, stays, monkeypatch):
    fail_for_payer(monkeypatch, world.icb.id, KeyboardInterrupt())  # the second invoice
    with pytest.raises(KeyboardInterrupt):
        run_invoices(
            session, world.service_date(stays[1]), world.provider_org, started_by=world.provider, batch_size=1
        )
    monkeypatch.undo()
    monkeypatch.setattr(views, "today", lambda: world.service_date(stays[1]) + timedelta(days=1))
    sign_in(world.provider)
    [row] = history(client)
    assert row[2:] == [
        world.provider.name,
        "1",
        "£590.00",
        "Stopped before it finished",
    ]  # the council's, whole


def test_a_run_whose_invoice_failed_says_so(client, session, world, sign_in, stays, monkeypatch):
    fail_for_payer(monkeypatch, world.icb.id, RuntimeError("the printer caught fire"))
    summary = run_invoices(session, world.service_date(stays[1]), world.provider_org, source=RunSource.PAGE)
    assert len(summary.failed) == 1
    monkeypatch.undo()
    monkeypatch.setattr(views, "today", lambda: world.service_date(stays[1]) + timedelta(days=1))
    sign_in(world.provider)
    [row] = history(client)
    assert row[-1] == "1 invoice could not be issued" and row[3] == "1"
