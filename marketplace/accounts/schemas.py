from datetime import datetime

from marshmallow import Schema, ValidationError, fields, pre_load, validates_schema
from marshmallow.validate import OneOf

from marketplace.accounts.models import Role
from marketplace.accounts.operations import EMAIL
from marketplace.core.schemas import Date, FormSchema, Id


class SignInForm(FormSchema):
    email = fields.String(required=True, error_messages={"required": "Enter your e-mail address"})
    password = fields.String(required=True, error_messages={"required": "Enter your password"})
    next = fields.String(load_default="")


class PasswordForm(FormSchema):
    current_password = fields.String(
        required=True, error_messages={"required": "Enter your current password"}
    )
    new_password = fields.String(required=True, error_messages={"required": "Enter a new password"})


class OrganisationOut(Schema):
    id = Id()
    slug = fields.String()
    name = fields.String()
    kind = fields.Function(lambda o: o.kind.value)


class MeOut(Schema):
    id = Id()
    email = fields.String()
    name = fields.String()
    role = fields.Function(lambda u: u.role.value)
    family = fields.Function(lambda u: u.family.slug if u.family else None)
    organisations = fields.Function(lambda u: [OrganisationOut().dump(o) for o in u.organisations])


class UkDate(Date):
    """A date typed as 31/12/2015 (or 2015-12-31, as a date picker sends it)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = (value or "").strip() if isinstance(value, str) else value
        if isinstance(text, str) and "/" in text:
            try:
                text = datetime.strptime(text, "%d/%m/%Y").date().isoformat()
            except ValueError:
                raise ValidationError("Enter a date like 31/12/2015") from None
        return super()._deserialize(text, attr, data, **kwargs)


class AcceptInvitationForm(FormSchema):
    name = fields.String(load_default="")
    password = fields.String(required=True, error_messages={"required": "Choose a password"})
    password_again = fields.String(required=True, error_messages={"required": "Type the password again"})

    @validates_schema
    def _same(self, data, **kwargs):
        if data.get("password") != data.get("password_again"):
            raise ValidationError({"password_again": ["The two passwords are not the same"]})


class NewPasswordForm(AcceptInvitationForm):
    pass


_BLANK_IS_NONE = {"allow_none": True, "load_default": None}


def _filled(message: str):
    def check(value: str) -> None:
        if not (value or "").strip():
            raise ValidationError(message)

    return check


def _email(value: str) -> None:
    if not EMAIL.match((value or "").strip().lower()):
        raise ValidationError("Enter an e-mail address like name@example.org")


class InviteFamilyForm(FormSchema):
    email = fields.String(
        required=True, validate=_email, error_messages={"required": "Enter their e-mail address"}
    )
    name = fields.String(
        required=True, validate=_filled("Enter their name"), error_messages={"required": "Enter their name"}
    )
    family = fields.String(load_default="")
    family_name = fields.String(load_default="")
    child_name = fields.String(load_default="")
    date_of_birth = UkDate(**_BLANK_IS_NONE)
    area = fields.String(load_default="")

    @pre_load
    def _blank_dates(self, data, **kwargs):
        data = dict(data)
        if not (data.get("date_of_birth") or "").strip():
            data["date_of_birth"] = None
        return data


class InviteUserForm(FormSchema):
    email = fields.String(
        required=True, validate=_email, error_messages={"required": "Enter their e-mail address"}
    )
    name = fields.String(
        required=True, validate=_filled("Enter their name"), error_messages={"required": "Enter their name"}
    )
    role = fields.String(
        required=True,
        validate=OneOf([r.value for r in Role], error="Choose what kind of account"),
        error_messages={"required": "Choose what kind of account"},
    )
    organisation = fields.String(load_default="")
    family = fields.String(load_default="")
