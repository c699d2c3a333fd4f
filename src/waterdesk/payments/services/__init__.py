"""Services of payments: each is one transaction; see the modules."""
