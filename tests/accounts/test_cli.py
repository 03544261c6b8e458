from sqlalchemy import select

from marketplace.accounts.models import Organisation, User


def test_users_create_reads_password_from_stdin(runner, make, session):
    make.org("provider", slug="hilltop-hospice")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Priya@Hilltop.example",
            "--name",
            "Priya",
            "--role",
            "provider",
            "--org",
            "hilltop-hospice",
        ],
        input="Long-enough-pass-1\n",
    )
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "priya@hilltop.example"))
    assert user.organisation.slug == "hilltop-hospice"
    assert user.password_hash != "Long-enough-pass-1"


def test_users_create_refuses_a_weak_password(runner, make, session):
    make.family(slug="fam")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--role",
            "family",
            "--family",
            "fam",
        ],
        input="short\n",
    )
    assert result.exit_code == 2
    assert "password" in result.output
    assert session.scalar(select(User).where(User.email == "a@b.example")) is None


def test_users_create_unknown_org_says_what_to_do(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--role",
            "provider",
            "--org",
            "nope",
        ],
        input="Long-enough-pass-1\n",
    )
    assert result.exit_code == 2
    assert "no organisation with slug 'nope'" in result.output


def test_tokens_create_prints_a_working_token(runner, make, client):
    user = make.user("commissioner")
    result = runner.invoke(args=["tokens", "create", "--email", user.email])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email


def test_demo_loads_the_worked_example_parties_idempotently(session):
    from marketplace.core.demo import load_demo

    first = load_demo(session)
    load_demo(session)
    slugs = set(session.scalars(select(Organisation.slug)))
    assert {"hilltop-hospice", "brightwater-council", "nhs-brightwater-icb"} <= slugs
    assert len(slugs) == len(set(slugs))
    roles = {role for role, _, _ in first["sign_ins"]}
    assert roles == {"family", "provider", "commissioner", "admin"}
