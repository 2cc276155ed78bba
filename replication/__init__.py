"""Replication: the admin database's data that families may see, copied into the
télé-services database, and the families' account events brought back (``sconet replicate``).

A package of its own because it is the only code that holds both connections: the families
portal never reaches the admin database, and the staff side never writes the télé-services one.

Modules: ``snapshot`` (what families may see, read from the admin side), ``changes`` (what
changed since the last run, from the audit log), ``run`` (batches, cursor, summary), ``lock`` (one
run at a time), ``schedule`` (a run every few minutes).
"""
