"""Synth tests of the CDK app (stacks/)."""

import os

# Before the first aws_cdk import starts the jsii runtime: Node 20 is what this environment has.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
