"""``python -m api`` runs the ``sconet`` command."""

from api.cli import main

main()
