"""Sources of accounts, devices, domain policy and rosters.

Connectors import ``enforcer.model.values`` and ``enforcer.model.errors``; nothing in the
engine imports a connector. Sources are found by the dotted path in
``enforcer.sources.registry.SOURCE_TYPES`` and imported only when configured, so an
AD-only run never loads the Graph SDK.
"""
