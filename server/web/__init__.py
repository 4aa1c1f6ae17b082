"""The supervisors' and administrators' web console, served by `cairn serve` at `/`.

Server-rendered pages (Jinja2, autoescaped) over the same services and authorization as
the JSON API: nothing here decides a rule of its own. Sign-in exchanges a token for a
server-side session (:mod:`server.web.sessions`); every form carries a CSRF token; every
script, style and map file is served by Cairn itself (:mod:`server.web.assets`).
"""
