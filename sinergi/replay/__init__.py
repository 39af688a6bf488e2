"""`sinergi replay`: drive a realistic election day (TPS check-ins, incidents, logistics) against a running server.

A plain package (not a Django app, no models): `scenario` is pure and seeded, `http` a small keep-alive asyncio
HTTP/1.1 client, `driver` paces and sends the events and measures, `local` reads the database (TPS list, demo
accounts, read-back of what was stored) and `cli` is the command. See docs/replay.md.
"""
