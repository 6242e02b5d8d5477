"""The `kb` command line (entry point `kb.cli.main:main`): one module per command group,
`common` for what they share. Nothing in the library imports from here."""
