"""The model's name for ``enforcer.fast.build.builder``, which lives with the other fast paths.

Kept so that connectors, which may import ``enforcer.model`` but not the engine's internals,
can build records the fast way (``connectors/snapshot/decode.py`` does).
"""

from __future__ import annotations

from enforcer.fast.build import builder

__all__ = ["builder"]
