"""Exit codes, documented in the README; scripts and CI rely on them."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # no errors (warnings only fail with --strict)
    INVALID = 1  # data errors found (affected products left out of the feeds)
    USAGE = 2  # bad command line: unknown option, channel or format
    UNREADABLE = 3  # config or input cannot be read
    GATE = 4  # the publish gate refused to replace the published feeds
