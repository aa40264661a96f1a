"""Patrol planning (DESIGN C6) and dispatch (C4): security games, routes, fleet, dispatch."""
