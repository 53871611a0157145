"""The headless command line, ``python -m engine``: one module per subcommand group."""
