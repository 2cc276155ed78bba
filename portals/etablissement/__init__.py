"""The staff portal (établissements, rectorat): French pages in the DSFR look, rendered on the
server from the same domain functions and permission checks as the GraphQL API."""
