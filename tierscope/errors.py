"""The one base class of errors a user can fix (a bad config file, an unreadable log, a wrong option).

The CLI prints such an error as one line, without a traceback, and exits with status 2. It lives apart from the
layers that raise it so the CLI can catch it without importing them.
"""


class UserError(Exception):
    """A problem with the user's input, files or options; the message says which and what was expected."""
