"""The bottom layer: what every other package (db, tsdb, api, portals, replication) may import.

It imports nothing of the project, so that no layer has to reach upward
for the clock.
"""
