"""Entry point for ``python -m engine``."""

try:
    from engine.cli.main import main
except KeyboardInterrupt:  # Ctrl-C before main could take over: no traceback
    raise SystemExit(130) from None

raise SystemExit(main())
