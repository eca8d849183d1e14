"""Errors the workflow reports to its user. The class name becomes the Step Functions error name."""


class InputError(ValueError):
    """Bad input (request, manifest, label file, labeled batch); the message names the field, record or line."""
