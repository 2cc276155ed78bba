"""Lists and extractions: students with chosen columns as CSV or XLSX, class lists as PDF.

``columns`` declares what may be exported, ``rows`` reads a population of
students once (a constant number of SQL statements whatever its size),
``tabular`` and ``class_list`` write the files, ``routes`` serves them over
HTTP to the same callers as the API (bearer token or portal session).
"""
