"""``python -m eventstudy`` runs the command line."""

from eventstudy.cli import main

main()
