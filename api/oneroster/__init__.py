"""The OneRoster 1.2 bindings of the rostering domain (``api.resolvers.oneroster``), read-only:
the REST binding under ``/ims/oneroster/rostering/v1p2`` (routes, the query grammar: filter,
sort, fields, paging, and the specification's errors) and the CSV binding (``csv_bundle``,
``csv_routes``: the same records as the specification's zipped CSV files, bulk or delta). The
records come from the domain; no SQL here. See docs/oneroster.md."""
