"""The shell both portals share: the Jinja environment and the DSFR layout, CSRF, cookies and
redirects, error pages, and the ASGI pieces both apps stack (security headers, failures, body
limit, NUL refusal, client address, access log, health check).

Nothing here reaches a database layer or the staff side: the families portal, which may not
import the admin side, stands on it too. Each portal keeps its own templates and pages.
"""
