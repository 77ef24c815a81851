"""accelopt: measure, predict, simulate and optimize compute for AI models on accelerators."""

__version__ = "0.1.0"
