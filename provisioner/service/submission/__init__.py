"""The submission pipeline: one file from its bytes to its report, in one transaction."""
