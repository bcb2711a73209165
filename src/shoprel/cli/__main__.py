"""`python -m shoprel.cli …`: the same commands as `shoprel …`."""

from shoprel.cli.app import main

main()
