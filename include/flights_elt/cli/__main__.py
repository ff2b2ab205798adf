"""``python -m flights_elt.cli``: the ``elt`` command."""

import sys

from flights_elt.cli import main

if __name__ == "__main__":
    sys.exit(main())
