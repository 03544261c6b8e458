"""Catalogue pages: search and offer pages for everyone; offers, slots and profile for providers;
provider verification for platform admins. The Open Referral feed is registered beside them."""

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts.models import Organisation, OrgKind, Role
from marketplace.accounts.permissions import acts_for_organisation, allowed, visible
from marketplace.catalog import extras, operations, profile_views
from marketplace.catalog.models import (
    CATEGORY_LABELS,
    Category,
    Offer,
    OfferStatus,
    Setting,
    StreamKind,
    Unit,
    VatTreatment,
)
from marketplace.catalog.openreferral import bp as openreferral_bp
from marketplace.catalog.openreferral import register as register_openreferral
from marketplace.catalog.permissions import get_offer, get_slot, offer_visible_to, profile_to_show
from marketplace.catalog.schemas import (
    MAX_AGE,
    OfferDatesArgs,
    OfferForm,
    PatternForm,
    ProfileForm,
    SearchForm,
    SlotForm,
    VerifyForm,
)
from marketplace.catalog.search import (
    OfferFilters,
    count_limit_setting,
    dates_page,
    offer_slots,
    search_offers,
)
from marketplace.catalog.suggest import suggest
from marketplace.core.auth import roles_required
from marketplace.core.clock import london_midnight, today, utcnow
from marketplace.core.dashboard import register_panel
from marketplace.core.db import db
from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.core.money import format_bp
from marketplace.core.schemas import parse
from marketplace.core.templating import register_nav, state_label

bp = Blueprint("catalog", __name__)
CHOICES = {
    "categories": [(c.value, CATEGORY_LABELS[c]) for c in Category],
    "settings": [(s.value, state_label(s)) for s in Setting],
    "units": [(u.value, u.per) for u in Unit],
    "vat": [(v.value, state_label(v)) for v in VatTreatment],
    "streams": [(s.value, s.value.replace("_", " ").capitalize()) for s in StreamKind],
    "weekdays": list(
        enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])
    ),
}


def register(app: Flask) -> None:
    app.register_blueprint(openreferral_bp)
    app.register_blueprint(profile_views.bp)
    register_openreferral(app)
    register_nav("catalog.search_page", "Find short breaks")
    register_nav("catalog.my_offers", "Your offers", roles=("provider",))
    register_nav("catalog.admin_providers", "Providers", roles=("admin",))
    register_panel("provider", provider_panel)
    register_panel("admin", admin_panel)


def form_data(*lists: str) -> dict:
    data = request.form.to_dict()
    for name in lists:
        data[name] = request.form.getlist(name)
    return data


# ---- everyone -------------------------------------------------------------------------------


@bp.get("/offers")
def search_page():
    form = request.args.to_dict()
    age_hint = _prefill_child_age(form)
    try:
        filters = OfferFilters.from_args(parse(SearchForm(), form, "Check your search"))
        result = search_offers(db.session, filters, count_limit=count_limit_setting())
    except ValidationFailed as err:
        return render_template(
            "catalog/search.html", form=form, errors=err.fields, result=None, age_hint=age_hint, notes={},
            **CHOICES,
        ), 422  # fmt: skip
    notes = extras.result_notes(current_user, [hit.offer for hit in result.hits])
    suggestion = suggest(db.session, filters.q) if result.total == 0 and filters.q else None
    return render_template(
        "catalog/search.html", form=form, errors={}, result=result, age_hint=age_hint, notes=notes,
        suggestion=suggestion, **CHOICES,
    )  # fmt: skip


def _prefill_child_age(form: dict) -> str:
    """A family's search starts from its child's age (filled in when the search does not say one);
    a family with several children is told each one's age and chooses."""
    hint = "In years, 0 to 25"
    family = (
        current_user.family if current_user.is_authenticated and current_user.role is Role.FAMILY else None
    )
    children = list(family.children) if family is not None else []
    if not children:
        return hint
    ages = [(child.name, child.age_on(today())) for child in children]
    if len(ages) == 1:
        name, age = ages[0]
        if "age" not in form and 0 <= age <= MAX_AGE:  # only an age the search takes
            form["age"] = str(age)
            return f"{hint}. {name}'s age is filled in: clear it to see breaks for every age"
        return f"{hint}. {name} is {age}"
    listed = ", ".join(f"{name} is {age}" for name, age in ages)
    return f"{hint}. You have {len(ages)} children ({listed}): enter the age of the child this break is for"


@bp.get("/offers/<int:offer_id>")
def offer_page(offer_id: int):
    offer = get_offer(offer_id)
    visible(offer, offer_visible_to(offer, current_user), "offer")
    form = request.args.to_dict()
    try:
        first, errors, status = parse(OfferDatesArgs(), form, "Check the date").get("from_"), {}, 200
    except ValidationFailed as err:  # the page still shows, from today, with the error summary
        first, errors, status = None, err.fields, 422
    dates = dates_page(db.session, offer, first)
    sections = extras.offer_sections(current_user, offer)
    return render_template(
        "catalog/offer.html", offer=offer, dates=dates, form=form, errors=errors, sections=sections
    ), status


# ---- providers ------------------------------------------------------------------------------


def my_organisation() -> Organisation:
    """The signed-in provider's organisation (403 for an account with no provider organisation)."""
    org = current_user.organisation
    allowed(org is not None and org.kind is OrgKind.PROVIDER, "Your account does not belong to a provider.")
    return org


def my_profile():
    """The signed-in provider's profile, made on first use (for requests that change things)."""
    return operations.provider_profile(db.session, my_organisation())


def my_offer(offer_id: int) -> Offer:
    """An offer of the caller's organisation, or a 404 (another provider's offers do not exist for us)."""
    offer = get_offer(offer_id)
    return visible(
        offer, offer is not None and acts_for_organisation(current_user, offer.organisation_id), "offer"
    )


@bp.get("/provider/offers")
@roles_required("provider")
def my_offers():
    profile = profile_to_show(my_organisation())
    offers = (
        db.session.scalars(
            select(Offer).where(Offer.provider_id == profile.id).order_by(Offer.status, Offer.title)
        )
        if profile.id is not None
        else []
    )
    return render_template("catalog/my_offers.html", profile=profile, offers=list(offers))


@bp.route("/provider/profile", methods=["GET", "POST"])
@roles_required("provider")
def edit_profile():
    if request.method == "POST":
        profile = my_profile()
        form = request.form.to_dict()
        try:
            operations.update_profile(db.session, profile, parse(ProfileForm(), form), current_user)
        except ValidationFailed as err:
            return render_template(
                "catalog/profile_form.html", profile=profile, form=form, errors=err.fields
            ), 422
        db.session.commit()
        flash("Your organisation's details are saved.", "success")
        return redirect(url_for("catalog.my_offers"))
    profile = profile_to_show(my_organisation())
    return render_template(
        "catalog/profile_form.html", profile=profile, form=profile_as_form(profile), errors={}
    )


@bp.route("/provider/offers/new", methods=["GET", "POST"])
@roles_required("provider")
def new_offer():
    if request.method == "GET":
        my_organisation()
        return render_offer_form(
            None, {"vat_treatment": "exempt", "free_cancellation_hours": "48", "no_show_percent": "100"}
        )
    profile = my_profile()
    form = form_data("funding_streams")
    try:
        offer = operations.create_offer(db.session, profile, parse(OfferForm(), form), current_user)
    except ValidationFailed as err:
        return render_offer_form(None, form, err.fields), 422
    db.session.commit()
    flash(f"'{offer.title}' is saved as a draft.", "success")
    return redirect(url_for("catalog.my_offers"))


@bp.route("/provider/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@roles_required("provider")
def edit_offer(offer_id: int):
    offer = my_offer(offer_id)
    if request.method == "GET":
        return render_offer_form(offer, offer_as_form(offer))
    form = form_data("funding_streams")
    try:
        operations.update_offer(db.session, offer, parse(OfferForm(), form), current_user)
    except ValidationFailed as err:
        return render_offer_form(offer, form, err.fields), 422
    db.session.commit()
    flash(f"'{offer.title}' is saved.", "success")
    return redirect(url_for("catalog.my_offers"))


@bp.post("/provider/offers/<int:offer_id>/publish")
@roles_required("provider")
def publish_offer(offer_id: int):
    offer = operations.publish_offer(db.session, my_offer(offer_id), current_user)
    db.session.commit()
    flash(f"'{offer.title}' is published.", "success")
    return redirect(url_for("catalog.my_offers"))


@bp.post("/provider/offers/<int:offer_id>/archive")
@roles_required("provider")
def archive_offer(offer_id: int):
    offer = operations.archive_offer(db.session, my_offer(offer_id), current_user)
    db.session.commit()
    flash(f"'{offer.title}' is archived.", "success")
    return redirect(url_for("catalog.my_offers"))


@bp.get("/provider/offers/<int:offer_id>/slots")
@roles_required("provider")
def manage_slots(offer_id: int):
    return render_slots(my_offer(offer_id), {}, {})


@bp.post("/provider/offers/<int:offer_id>/slots")
@roles_required("provider")
def add_slot(offer_id: int):
    offer = my_offer(offer_id)
    form = request.form.to_dict()
    try:
        data = parse(SlotForm(), form, "Check the slot")
        starts, ends = operations.local_times(data["day"], data["start_time"], data["end_time"])
        operations.add_slot(db.session, offer, starts, ends, data["capacity"], current_user)
    except DomainError as err:
        db.session.rollback()
        return render_slots(offer, form, err.fields or {"day": [err.message]}, err.status)
    db.session.commit()
    flash("The slot is added.", "success")
    return redirect(url_for("catalog.manage_slots", offer_id=offer.id))


@bp.post("/provider/offers/<int:offer_id>/slots/pattern")
@roles_required("provider")
def add_pattern(offer_id: int):
    offer = my_offer(offer_id)
    form = form_data("weekdays")
    try:
        data = parse(PatternForm(), form, "Check the weekly pattern")
        slots = operations.generate_weekly_slots(
            db.session, offer, first=data["day"], last=data["until"], weekdays=data["weekdays"],
            start=data["start_time"], end=data["end_time"], capacity=data["capacity"], actor=current_user,
        )  # fmt: skip
    except DomainError as err:
        db.session.rollback()
        errors = {f"p_{k}": v for k, v in (err.fields or {"day": [err.message]}).items()}
        return render_slots(offer, {f"p_{k}": v for k, v in form.items()}, errors, err.status)
    db.session.commit()
    flash(f"{len(slots)} slots added.", "success")
    return redirect(url_for("catalog.manage_slots", offer_id=offer.id))


@bp.post("/provider/slots/<int:slot_id>/close")
@roles_required("provider")
def close_slot(slot_id: int):
    slot = get_slot(slot_id)
    visible(
        slot, slot is not None and acts_for_organisation(current_user, slot.offer.organisation_id), "slot"
    )
    operations.close_slot(db.session, slot, current_user)
    db.session.commit()
    flash("The slot is closed to new bookings.", "success")
    return redirect(url_for("catalog.manage_slots", offer_id=slot.offer_id))


def render_offer_form(offer, form, errors=None):
    return render_template("catalog/offer_form.html", offer=offer, form=form, errors=errors or {}, **CHOICES)


def render_slots(offer, form, errors, status=200):
    now = utcnow()
    slots = offer_slots(db.session, offer, london_midnight(now.date()), None, include_closed=True)
    return render_template(
        "catalog/slots.html", offer=offer, slots=slots, form=form, errors=errors, **CHOICES
    ), status


def offer_as_form(offer: Offer) -> dict:
    pounds, pence = divmod(offer.price, 100)
    form = {name: getattr(offer, name) for name in operations.OFFER_FIELDS}
    form.update(
        category=offer.category.value, setting=offer.setting.value, unit=offer.unit.value,
        vat_treatment=offer.vat_treatment.value, price=f"{pounds}.{pence:02d}", needs=", ".join(offer.needs),
        late_cancellation_percent=format_bp(offer.late_cancellation_bp).rstrip("%"),
        no_show_percent=format_bp(offer.no_show_bp).rstrip("%"),
        funding_streams=[s.value for s in offer.funding_streams],
        instant_booking=["yes"] if offer.instant_booking else [],
    )  # fmt: skip
    return {k: ("" if v is None else v) for k, v in form.items()}


def profile_as_form(profile) -> dict:
    form = {name: getattr(profile, name) or "" for name in operations.PROFILE_FIELDS}
    form["councils"] = ", ".join(a.name for a in profile.areas if a.kind.value == "council")
    form["postcode_districts"] = ", ".join(
        a.code for a in profile.areas if a.kind.value == "postcode_district"
    )
    return form


# ---- platform admins ------------------------------------------------------------------------


@bp.get("/admin/providers")
@roles_required("admin")
def admin_providers():
    orgs = db.session.scalars(
        select(Organisation).where(Organisation.kind == OrgKind.PROVIDER).order_by(Organisation.name)
    )
    profiles = [profile_to_show(org) for org in orgs]
    return render_template("catalog/admin_providers.html", profiles=profiles, errors={})


@bp.post("/admin/providers/<int:org_id>/verification")
@roles_required("admin")
def verify_provider(org_id: int):
    org = db.session.get(Organisation, org_id) if org_id < 2**31 else None
    visible(org, org is not None and org.kind is OrgKind.PROVIDER, "provider")
    profile = operations.provider_profile(db.session, org)
    data = parse(VerifyForm(), request.form.to_dict(), "Choose verify or decline")
    if data["decision"] == "verify":
        operations.verify_provider(db.session, profile, current_user, data["note"])
    else:
        operations.decline_provider(db.session, profile, current_user, data["note"])
    db.session.commit()
    flash(f"{org.name} is {'verified' if profile.is_verified else 'not verified'}.", "success")
    return redirect(url_for("catalog.admin_providers"))


# ---- dashboard panels -----------------------------------------------------------------------


def provider_panel(user):
    org = user.organisation
    if org is None or org.kind is not OrgKind.PROVIDER:
        return None
    profile = profile_to_show(org)
    counts = {s: 0 for s in OfferStatus}
    if profile.id is not None:
        for status in db.session.scalars(select(Offer.status).where(Offer.provider_id == profile.id)):
            counts[status] += 1
    return "catalog/panel_provider.html", {"profile": profile, "counts": counts}


def admin_panel(user):
    from marketplace.catalog.models import ProviderProfile

    waiting = db.session.scalars(
        select(Organisation.name)
        .outerjoin(ProviderProfile, ProviderProfile.organisation_id == Organisation.id)
        .where(Organisation.kind == OrgKind.PROVIDER, ProviderProfile.verified_at.is_(None))
    ).all()
    return "catalog/panel_admin.html", {"waiting": waiting}
