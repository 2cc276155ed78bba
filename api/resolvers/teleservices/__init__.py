"""Télé-services on the staff side: services, grades publication, activation codes."""
