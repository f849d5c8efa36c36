"""The Agence Virtuelle's back office on the web: Starlette on uvicorn, server-rendered French pages.

app (the routes and the headers), sessions (signed-in browsers, stored
server-side), guard (who may see or do what, CSRF), render (Jinja2),
pages/ (one module per area), server (uvicorn beside the scheduler).
Pages call the same use cases as the CLI (the commands' modules of service/ for what they do,
service/read_models/ for what they show).
"""
