"""Reports: one module per format behind the ``Reporter`` interface.

``registry.REPORTERS`` maps a format name to its reporter; ``writer.write_reports``
writes several formats atomically into a reports folder.
"""
