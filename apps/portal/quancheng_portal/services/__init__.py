"""What the portal does, apart from HTTP: chain reads, owner decisions, access history."""
