#!/usr/bin/env python3
"""Measure recognition, reaction time, CPU and memory: the same as ``voiceguide bench`` (see --help)."""

import sys

from voiceguide.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
