"""Printable documents (PDF letters, the shared print style), written from plain values.

A package of its own, below the domain layer: the domain functions (absence letters,
télé-services notifications) and the exports both write documents, and neither may import
the other's layer upward. It knows no model and no permission: it depends only on reportlab.
"""
