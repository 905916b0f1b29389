"""python -m askdoc: the same as the askdoc command."""

from .cli import main

if __name__ == "__main__":
    main()
