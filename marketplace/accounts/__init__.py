"""Users, organisations, memberships, families, sign-in and API tokens."""
