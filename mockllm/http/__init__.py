"""The HTTP layer (aiohttp): routes, limits, transport faults, the admin API and the listener. It serves
every API without knowing which one a request carries."""
