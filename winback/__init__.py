"""winback package."""
