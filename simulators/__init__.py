"""Data simulators: they write what real sources would hold, where those sources would put it.

A simulator is a client of the platform's inputs, never part of its production path: it writes files
(or tables) in the real sources' layouts, and the extractors read them through the same code as real
data. Production code (``parkplatform``, ``extractors``, ``expectations``, ``dags``, ``report``)
never imports this package; a simulator may import anything it needs from the platform.
"""
