"""`marketplace invoices run`: progress, a people-facing summary, idempotent, --provider."""

from sqlalchemy import func, select

from marketplace.invoicing.models import Invoice


def test_invoices_run_bills_and_summarises_in_pounds_and_uk_dates(session, world, runner):
    booking = world.delivered(units=2)
    session.commit()
    through = world.service_date(booking).isoformat()
    result = runner.invoke(args=["invoices", "run", "--through", through])
    assert result.exit_code == 0, result.output
    assert "Invoices issued: 2" in result.stdout
    assert "Total invoiced: £590.00" in result.stdout
    assert "£393.33" in result.stderr and "£196.67" in result.stderr and "PO BC-SB-2026-0142" in result.stderr
    assert f"{world.service_date(booking):%-d %B %Y}" in result.stderr
    again = runner.invoke(args=["invoices", "run", "--through", through])
    assert "Invoices issued: 0" in again.stdout and "Total invoiced: £0.00" in again.stdout
    assert session.scalar(select(func.count(Invoice.id))) == 2


def test_invoices_run_for_one_provider_only(session, world, runner):
    booking = world.delivered(units=1)
    session.commit()
    through = world.service_date(booking).isoformat()
    other = world.make.org("provider")
    session.commit()
    result = runner.invoke(args=["invoices", "run", "--through", through, "--provider", other.slug])
    assert "Invoices issued: 0" in result.stdout
    result = runner.invoke(
        args=["invoices", "run", "--through", through, "--provider", world.provider_org.slug]
    )
    assert "Invoices issued: 2" in result.stdout


def test_invoices_run_refuses_an_unknown_provider_and_a_bad_date(runner):
    result = runner.invoke(args=["invoices", "run", "--through", "2026-12-05", "--provider", "nobody"])
    assert result.exit_code != 0 and "nobody" in result.output
    result = runner.invoke(args=["invoices", "run", "--through", "5/12/2026"])
    assert result.exit_code != 0
