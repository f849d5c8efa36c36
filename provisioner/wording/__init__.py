"""The words people read, in one place: used by the CLI, the reports, the emails, the PDF and the web pages.

- `labels`: the French word for each key of the service (statuses, actions, request kinds, codes…).
- `phrases`: plurals, counts, where a finding is, a company as people name it.
- `dates`: the readers' time zone (Casablanca) and the dates and times as they read them.
- `contact`: the Agence Virtuelle's address.
- `passwords`: the password policy, as the workbook and its findings say it.
- `secrets`: how a change's secret column was set (choisi, généré, changé), never its value.
- `submission`: what a report says of the submission itself (authentication, duplicate, settings).
- `intake`: a batch refused, a file set aside, the service's failing parts.
- `cli_*`: what the operators' commands print besides their tables' headings (`results`: the
  sentences the CLI and the web share).

Pure and light (no template engine, no database, no pandas): the operator commands import it at
start-up. The workbook layer imports `passwords`, so this package imports no submodule here.
"""
