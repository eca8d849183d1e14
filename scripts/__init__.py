"""User commands: prepare a dataset, start and watch an execution on AWS, answer Callback batches."""
