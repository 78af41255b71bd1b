"""`python -m colorize ...` (and `torchrun -m colorize ...`) runs the CLI."""

from colorize.cli import main

if __name__ == "__main__":
    main()
