"""Entry point for ``python -m engine``."""

from engine.cli.main import main

raise SystemExit(main())
