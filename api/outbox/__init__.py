"""Sending e-mails and SMS through the transactional outbox (``db.outbox``): queueing in the
caller's transaction, the transports, and the worker that delivers (``sconet worker``)."""
