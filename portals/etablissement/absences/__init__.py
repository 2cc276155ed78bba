"""The staff portal's absence screens: the entry grid, the roll call, a student's record,
follow-up and letters to families, statistics, and the school's settings."""
