"""Email through a transactional outbox.

- `render`: message kinds → subject, plain text and HTML, from the Jinja2
  templates under `templates/` (French, one folder per kind).
- `queue`: `enqueue(uow.mails, ...)` renders a message and stores it in
  `mail_queue` inside the caller's transaction: it goes out only if that
  transaction commits.
- `sender`: transports (`SmtpTransport` through yagmail, `EmlTransport`
  writing `.eml` files when no SMTP host is configured) raising
  `TransportError(message, permanent)`.
- `dispatch`: `send_due(...)` claims due messages, sends them, records the
  outcome (sent, retried with backoff, failed); never raises.
"""
