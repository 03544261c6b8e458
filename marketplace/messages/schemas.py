from marshmallow import Schema, fields

from marketplace.core.schemas import Id


class MessageIn(Schema):
    # plain text, 1 to messages.models.MAX_LENGTH characters once trimmed (the operation checks)
    body = fields.String(required=True)


class MessageOut(Schema):
    id = Id()
    author = fields.Function(lambda m: m.author.name)
    author_for = fields.String()  # the family's or the organisation's name the author wrote for
    body = fields.String()
    created_at = fields.DateTime()
