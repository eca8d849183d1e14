"""Offline runner for the byoal workflow: executes the deployed state machines locally."""
