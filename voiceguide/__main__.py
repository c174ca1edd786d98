"""Run the command line as ``python -m voiceguide``."""

import sys

from voiceguide.cli import main

sys.exit(main())
