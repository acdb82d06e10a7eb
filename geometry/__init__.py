"""Read, measure, check and price 3D models.

A pure library: it imports nothing of the portal (no web, database, queue or settings).
It takes bytes or a path and plain options, and returns plain data.
"""
