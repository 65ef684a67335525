"""The headless command line: ``python -m core <command>``; one module per command group."""
