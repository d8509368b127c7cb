"""Tests of the shipped example configs and the launch script (`examples/`)."""
