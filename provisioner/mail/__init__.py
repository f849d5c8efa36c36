"""Email through a transactional outbox.

- `render`: message kinds → subject, plain text and HTML, from the Jinja2
  templates under `templates/` (French, one folder per kind).
- `queue`: `enqueue(uow.mails, ...)` renders a message and stores it in
  `mail_queue` inside the caller's transaction: it goes out only if that
  transaction commits.
- `transport`: what a transport is (`Transport.send`, raising
  `TransportError(message, permanent)`); `mime` builds the message;
  `smtp_transport` (`SmtpTransport` through yagmail) and `eml_transport`
  (`EmlTransport`, `.eml` files) deliver it; `sender.make_transport` chooses
  (`.eml` files when no SMTP host is configured).
- `dispatch`: `send_due(...)` claims due messages, sends them, records the
  outcome (sent, retried with backoff, failed); never raises.
"""
