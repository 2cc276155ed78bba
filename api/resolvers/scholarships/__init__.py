"""Scholarships (bourses de collège et de lycée): the national tables by year (``scales``),
each student's file from its receipt to the principal's decision and its letter (``files``),
the lists of scholars and the états récapitulatifs (``summaries``), and each term's payment
after the term, deducted first from the student's board charges (``payments``). See
docs/scholarships.md."""
