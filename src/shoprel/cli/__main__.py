"""`python -m shoprel.cli …`: the same commands as `shoprel …`, named so in their help and
errors (not `python -m shoprel.cli`), as `python -m shoprel` names them."""

from shoprel.cli.app import main

main(prog_name="shoprel")
