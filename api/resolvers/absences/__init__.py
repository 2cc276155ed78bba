"""The absences domain: the school's calendar and grid, events, half-day counting."""
