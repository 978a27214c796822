"""The weekly indicator report for leadership (issue 7): the serving warehouse's marts -> HTML and PDF
under ``<data dir>/reports/<YYYY-Www>/`` -> e-mail. ``python -m report --help``; DAG ``weekly_report``."""
