"""Defector detection: features from the activity log, lapse (BG/NBD + rhythm), contract
signals, the at-risk model or its rules fallback, plain-words reasons and priority."""
