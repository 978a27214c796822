"""``python -m park``: the same as the ``park`` command."""

from park.cli import main

main()
