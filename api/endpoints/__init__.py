"""HTTP endpoints of the staff application besides the portal: ``/graphql``, OAuth 2.0 for
third-party clients and ``/api/session`` for staff scripts. They sit above the domain
layer (they check secrets and open sessions through it), so not in ``api/auth``."""
