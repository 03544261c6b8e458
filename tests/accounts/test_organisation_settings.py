"""An organisation's invoicing details (issue #14): its staff set them on a GOV.UK form, bad
input names the field and writes nothing, other organisations' staff are refused; the demo
organisations have them."""

import pytest
from sqlalchemy import select

from marketplace.accounts.demo import add_invoicing_details
from marketplace.accounts.models import Organisation
from marketplace.core.audit import AuditEntry

GOOD = {
    "legal_name": "Hilltop Children's Hospice Trust",
    "address": "Hilltop House\r\n12 Beacon Lane\r\nBrightwater",
    "postcode": "bw1 4ht",
    "vat_number": "gb 123 4567 82",
    "finance_email": "finance@hilltop.example",
    "bank_account_name": "Hilltop Children's Hospice Trust",
    "bank_sort_code": "309457",
    "bank_account_number": "00733445",
    "peppol_id": "0088:5012345000015",
}


@pytest.fixture
def hilltop(make):
    return make.hilltop()


def post(client, csrf, org, **changes):
    data = {**GOOD, **changes, "csrf_token": csrf()}
    return client.post(f"/organisations/{org.id}/invoicing", data=data)


def test_provider_staff_save_their_invoicing_details_normalised(
    client, session, sign_in, csrf, make, hilltop
):
    sign_in(make.user("provider", org=hilltop))
    assert "Invoicing details" in client.get(f"/organisations/{hilltop.id}/invoicing").get_data(as_text=True)
    response = post(client, csrf, hilltop)
    assert response.status_code == 302
    session.refresh(hilltop)
    assert hilltop.legal_name == "Hilltop Children's Hospice Trust"
    assert hilltop.address == "Hilltop House\n12 Beacon Lane\nBrightwater" and hilltop.postcode == "BW1 4HT"
    assert (hilltop.bank_sort_code, hilltop.bank_account_number) == ("30-94-57", "00733445")
    assert hilltop.vat_number == "GB123456782" and hilltop.peppol_id == "0088:5012345000015"
    page = client.get(f"/organisations/{hilltop.id}/invoicing").get_data(as_text=True)
    assert "invoicing details are saved" in page and "30-94-57" in page
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == str(hilltop.id))).all()
    assert "organisation.invoicing_details_changed" in actions


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bank_sort_code", "12-34", "Enter a valid sort code"),
        ("bank_account_number", "12ab5678", "Enter an account number of 6 to 8 digits"),
        ("bank_account_name", "", "Enter the account name, or leave all the bank details empty"),
        ("postcode", "NOT A CODE", "Enter a real UK postcode"),
        ("vat_number", "GB12345", "Enter a UK VAT registration number"),
        ("finance_email", "finance-at-hilltop", "Enter the finance e-mail address in the right format"),
        ("peppol_id", "0088:5012345000016", "Enter a Peppol participant id"),  # wrong GLN check digit
        ("peppol_id", "0192:123456789", "Enter a Peppol participant id"),
    ],
)
def test_bad_details_are_refused_naming_the_field_and_nothing_is_written(
    client, session, sign_in, csrf, make, hilltop, field, value, message
):
    sign_in(make.user("provider", org=hilltop))
    response = post(client, csrf, hilltop, **{field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in page and f'href="#{field}"' in page and message in page
    session.refresh(hilltop)
    assert hilltop.legal_name is None and hilltop.bank_sort_code is None


def test_a_uk_vat_peppol_id_is_accepted(client, session, sign_in, csrf, make, hilltop):
    sign_in(make.user("provider", org=hilltop))
    assert post(client, csrf, hilltop, peppol_id="9932:gb123456782").status_code == 302
    session.refresh(hilltop)
    assert hilltop.peppol_id == "9932:GB123456782"


def test_commissioner_staff_edit_their_own_organisation_without_bank_details(
    client, session, sign_in, csrf, make
):
    council = make.council()
    sign_in(make.user("commissioner", org=council))
    page = client.get(f"/organisations/{council.id}/invoicing").get_data(as_text=True)
    assert "Bank details for remittance" not in page
    response = post(client, csrf, council, legal_name="Brightwater Borough Council", peppol_id="")
    assert response.status_code == 302
    session.refresh(council)
    assert council.legal_name == "Brightwater Borough Council" and council.bank_sort_code is None


def test_staff_of_other_organisations_and_families_are_refused(client, session, sign_in, csrf, make, hilltop):
    for user in (make.user("provider"), make.user("commissioner", org=make.council()), make.user("family")):
        sign_in(user)
        assert client.get(f"/organisations/{hilltop.id}/invoicing").status_code == 404
        assert post(client, csrf, hilltop).status_code == 404
    session.refresh(hilltop)
    assert hilltop.legal_name is None


def test_an_admin_edits_any_organisation(client, session, sign_in, csrf, make, hilltop):
    sign_in(make.user("admin"))
    assert post(client, csrf, hilltop).status_code == 302
    session.refresh(hilltop)
    assert hilltop.bank_account_number == "00733445"


def test_the_account_page_links_staff_to_their_organisations_details(client, sign_in, make, hilltop):
    sign_in(make.user("provider", org=hilltop))
    page = client.get("/account").get_data(as_text=True)
    assert f'href="/organisations/{hilltop.id}/invoicing"' in page


def test_the_demo_organisations_get_plausible_details(session, make):
    hilltop, council = make.hilltop(), make.council()
    other = make.org("provider")
    add_invoicing_details(session)
    assert hilltop.bank_sort_code == "30-94-57" and council.peppol_id.startswith("0088:")
    assert other.bank_account_number and other.finance_email
    assert session.scalar(select(Organisation).where(Organisation.id == council.id)).postcode == "BW1 1CC"
