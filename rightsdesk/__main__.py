"""`python -m rightsdesk` is the same as the `rightsdesk` command."""

from rightsdesk.cli import main

raise SystemExit(main())
