"""SQL aggregates behind the dashboard pages: one module per page concern, sessions passed in."""
