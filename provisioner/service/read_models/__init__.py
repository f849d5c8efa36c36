"""What the Agence Virtuelle reads: lists, the state of the service and the dashboard, in one place.

One module per subject (companies, accounts, requests, submissions, emails,
audit, the state of the service, the dashboard), used by the CLI, the static
`outbox/index.html` and the web back office alike. Read-only: nothing here
writes, and nothing returned holds a hash, a password or an email body.
Lists the web shows are paged in SQL (`paging`); the CLI's lists return
everything. Results are TypedDicts or dataclasses, not rows.
"""
