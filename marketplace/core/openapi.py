"""The OpenAPI 3 document: each route is described where it is defined, with its marshmallow schemas."""

from marshmallow import Schema, fields

from marketplace.core.schemas import Id, Pence

_ROUTES: list[dict] = []


def describe(
    method: str,
    path: str,
    summary: str,
    *,
    body: type[Schema] | None = None,
    response: type[Schema] | None = None,
    many: bool = False,
    status: int = 200,
    params: list[str] | None = None,
):
    """Register a route in the OpenAPI document (a decorator that leaves the view unchanged)."""

    def decorator(view):
        _ROUTES.append(
            dict(
                method=method.lower(),
                path=path,
                summary=summary,
                body=body,
                response=response,
                many=many,
                status=status,
                params=params or [],
            )
        )
        return view

    return decorator


def field_schema(field: fields.Field) -> dict:
    if isinstance(field, Pence):
        return {"type": "integer", "description": "pence"}
    if isinstance(field, Id):
        return {"type": "string"}
    if isinstance(field, fields.Nested):
        inner = schema_of(type(field.schema))
        return {"type": "array", "items": inner} if field.many else inner
    if isinstance(field, fields.List):
        return {"type": "array", "items": field_schema(field.inner)}
    for kind, out in (
        (fields.Boolean, {"type": "boolean"}),
        (fields.Integer, {"type": "integer"}),
        (fields.Float, {"type": "number"}),
        (fields.DateTime, {"type": "string", "format": "date-time"}),
        (fields.Date, {"type": "string", "format": "date"}),
        (fields.Email, {"type": "string", "format": "email"}),
        (fields.Dict, {"type": "object"}),
        (fields.String, {"type": "string"}),
    ):
        if isinstance(field, kind):
            return dict(out)
    return {}


def schema_of(schema_cls: type[Schema]) -> dict:
    schema = schema_cls()
    props = {name: field_schema(f) for name, f in schema.fields.items()}
    required = [name for name, f in schema.fields.items() if f.required]
    out = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message"],
        }
    },
}


def build_document() -> dict:
    paths: dict[str, dict] = {}
    for route in _ROUTES:
        op = {"summary": route["summary"], "responses": {}}
        params = [
            {"name": p, "in": "query", "required": False, "schema": {"type": "string"}}
            for p in route["params"]
        ]
        params += [
            {"name": seg[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
            for seg in route["path"].split("/")
            if seg.startswith("{")
        ]
        if params:
            op["parameters"] = params
        if route["body"]:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema_of(route["body"])}},
            }
        ok = {"description": "OK"}
        if route["response"]:
            body = schema_of(route["response"])
            ok["content"] = {
                "application/json": {"schema": {"type": "array", "items": body} if route["many"] else body}
            }
        op["responses"][str(route["status"])] = ok
        for status in ("401", "403", "404", "409", "422"):
            op["responses"][status] = {
                "description": "Error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        paths.setdefault("/api/v1" + route["path"], {})[route["method"]] = op
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Short-breaks marketplace API",
            "version": "1",
            "description": "Amounts are integer pence; dates are YYYY-MM-DD; ids are strings.",
        },
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
    }
