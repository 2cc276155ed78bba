"""Identities, passwords, sessions, roles and permissions, audit actors."""
