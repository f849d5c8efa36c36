"""The companies' portal: a small public site where a company checks and sends its workbook and follows it.

A second ASGI application, on its own listener (PROVISIONER_PORTAL_HOST:PORT),
meant to face the internet while the back office stays inside. app (routes),
guard (CSRF cookie, client address, refusal pages), upload (the body read as a
counted stream), intake_form (the refusals of every upload, in order),
checking (`/verifier`), server (uvicorn). Its jetons and rate counters live in
the store (store/portal.py), so several portals share them.
"""
