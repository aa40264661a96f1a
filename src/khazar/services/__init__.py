"""Use cases: every change of state exists once here, writes its audit entry in the same
transaction (:func:`khazar.store.audit.audited`) and is called by both the CLI and the API
(alerts, dispatch, fleet, exercises, users). No HTTP, no runtime: what a use case needs
from the server (the water router) is a parameter."""
