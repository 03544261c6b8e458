from marshmallow import Schema, fields

from marketplace.core.schemas import FormSchema, Id


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
