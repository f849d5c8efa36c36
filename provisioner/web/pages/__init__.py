"""One module per area of the back office; each exposes `routes`."""
