"""``python -m kb``: the `kb` command."""

from kb.cli.main import main

main()
