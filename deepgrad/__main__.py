"""``python -m deepgrad``: the ``deepgrad`` command."""

import sys

from deepgrad.cli import main

if __name__ == "__main__":
    sys.exit(main())
