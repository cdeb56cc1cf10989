"""The nightly scheduler (``service``) and cron rendering (``cron``).

``scheduled_run`` is re-exported here because job stores written before the scheduler became a
package name it ``enforcer.scheduler:scheduled_run``; a restart must still find it.
"""

from enforcer.scheduler.service import scheduled_run

__all__ = ["scheduled_run"]
