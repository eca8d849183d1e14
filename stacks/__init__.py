"""The CDK constructs and stacks of byoal: storage, model image, functions, state machines, pipeline."""
