"""errlint's built-in rules, one per module, installed as `errlint.rules`."""

if __name__ != "errlint.rules":
    raise ImportError(f"errlint's rules/ must be imported as 'errlint.rules', not {__name__!r}")
