"""Great Expectations suites (as code) and the checkpoint that gates publishing."""
