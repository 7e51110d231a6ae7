"""`errlint review --trace FILE`: explain a failing trace (OTLP JSON or Jaeger JSON).

`spans` reads the file, `path` finds the failure and its hops, `locate` maps spans to code and
errlint's findings, `build` assembles the static report and the redacted request, `ask` holds the
prompt, the tool and the answer's validation, `command` runs it, `report` renders it.
"""
