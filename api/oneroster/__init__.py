"""The OneRoster 1.2 Rostering REST binding (read-only) under ``/ims/oneroster/rostering/v1p2``:
routes, the query grammar (filter, sort, fields, paging) and the specification's errors. The
records come from the domain (``api.resolvers.oneroster``); no SQL here. See
docs/oneroster.md."""
