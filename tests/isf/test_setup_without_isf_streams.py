"""Setting up an ISF for a budget none of whose streams is held as an ISF says so plainly."""


def test_a_budget_with_no_isf_streams_says_there_is_nothing_to_hold(client, make, sign_in):
    council, icb = make.council(), make.icb()
    family = make.family(children=("Ben",))
    budget = make.bens_budget(family.children[0], council, icb)  # both streams managed
    sign_in(make.user("commissioner", org=council))
    page = client.get(f"/budgets/{budget.id}/isf/new").get_data(as_text=True)
    assert "This budget has no funding stream held as an Individual Service Fund" in page
    assert "held by the provider: ." not in page
    assert 'name="weekly_amount"' not in page  # no form to fill in for nothing


def test_the_isf_form_lists_the_streams_it_will_hold(client, make, sign_in):
    council, icb = make.council(), make.icb()
    family = make.family(children=("Amy",))
    budget = make.amys_budget(family.children[0], council, icb)
    sign_in(make.user("commissioner", org=council))
    page = client.get(f"/budgets/{budget.id}/isf/new").get_data(as_text=True)
    assert "Social care: £18,200.00 for the period, from" in page
    assert 'name="weekly_amount"' in page
