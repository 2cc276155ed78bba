"""The OneRoster 1.2 bindings of the rostering domain (``api.resolvers.oneroster``): the REST
service under /ims/oneroster/rostering/v1p2 and the CSV bundle for those who prefer files."""
