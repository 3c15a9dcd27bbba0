"""eIDAS signature validation and sealing: a leaf library (imports nothing of rightsdesk)."""
