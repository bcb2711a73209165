"""`python -m shoprel …` runs the CLI, so launchers that take a module work unchanged:
`torchrun --nproc_per_node 4 -m shoprel train …`, `accelerate launch -m shoprel train …`."""

from shoprel.cli import main

main(prog_name="shoprel")
