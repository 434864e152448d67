"""Safety limits, declared in one place and enforced before a file is fully parsed."""

MAX_ABS_NUMBER = 10**15  # a cell value beyond this is unreadable, never used in arithmetic
MAX_TEXT_LENGTH = 32_767  # Excel's own cell limit; longer text is cut and reported
