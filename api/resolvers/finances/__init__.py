"""The student's finances (GFE): terms and tariffs, régimes over time, family accounts,
charges generated per term, reductions, payments, notices, reminders and the transfer to
the accounts. Scholarships are their own domain (``api.resolvers.scholarships``)."""
