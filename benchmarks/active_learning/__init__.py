"""The active-learning benchmark: the whole workflow, offline, per configuration, against the baselines."""
