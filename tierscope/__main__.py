"""``python -m tierscope``: the command line."""

from tierscope.cli import main

raise SystemExit(main())
