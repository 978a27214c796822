"""The application: what a person runs (the demo, a whole run of the platform, the ``park`` command line).

It sits on top of everything else: it may call the simulators (the demo writes generated sources before
it runs the DAGs) and every layer below; nothing imports it.
"""
