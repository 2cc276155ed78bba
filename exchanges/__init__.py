"""The national exchange formats: SIECLE's BEE_* exports, STS-WEB's STS_EDT, the "import
privé" IMPORT_ELEVES, and the académie's list of schools.

A package of its own (not under ``api/``) because it is pure format work: it reads files
into the records of ``exchanges.records`` and writes records back into files, knowing
nothing of the database, of permissions or of the domain. ``api/resolvers/exchanges``
turns the records into students, guardians, structures and nomenclatures.
"""
