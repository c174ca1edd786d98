"""voiceguide: an offline, hands-free voice guide for lower-back and hip self-care routines."""

__version__ = "0.1.0"
