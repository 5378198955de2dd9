"""pytest set-up for the notebooks that nbval runs (launch/...); the package's is tests/conftest.py."""

NBVAL_OUTPUT_TIMEOUT = 60
"""Seconds nbval waits for a cell's next output message after the cell has replied.

nbval waits 5 s and then fails the cell with "Timeout of 5 seconds exceeded waiting for
output". Lecture 6's four-seed training cell (about 40 s on one thread) failed that way on a
2-core machine, reproducibly, and passed with a longer wait: its outputs arrived more than
5 s after its reply. The cell's own time limit (--nbval-cell-timeout) is unchanged.
"""


def pytest_collection_modifyitems(items):
    for item in items:
        if type(item).__name__ == "IPyNbCell" and hasattr(item, "output_timeout"):
            item.output_timeout = NBVAL_OUTPUT_TIMEOUT
