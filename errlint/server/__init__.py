"""`errlint server`: a Language Server (LSP over standard input/output, built on pygls).

Install with `pip install "errlint[server]"`. See `errlint.server.lsp` and docs/editors.md.
"""
