"""The admin console: users, organisations, families and the audit log, for platform admins."""
