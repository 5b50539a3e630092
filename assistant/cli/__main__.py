"""`python -m assistant.cli`: the same as `study`."""

import sys

from assistant.cli import main

sys.exit(main())
