"""Sources of accounts, devices, domain policy and rosters.

Connectors import ``enforcer.models`` and ``enforcer.errors``; nothing in the
engine imports a connector. Sources are found by the dotted path in
``enforcer.sources.SOURCE_TYPES`` and imported only when configured, so an
AD-only run never loads the Graph SDK.
"""
