"""`python -m logitlab` is the `logitlab` command."""

import sys

from .cli import main

sys.exit(main())
