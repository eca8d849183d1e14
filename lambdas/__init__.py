"""One thin AWS Lambda handler per workflow step, over the domain code in ``byoal``.

Each module exposes ``handler(event, context)``. The state-machine definitions pass each handler
exactly the part of the execution state it needs, and store what it returns.
"""
