"""byoal's domain code: manifests, record ids, counts and the active-learning policy. No AWS calls."""
