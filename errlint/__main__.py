"""`python -m errlint`."""

from errlint.cli import entry

if __name__ == "__main__":
    entry()
