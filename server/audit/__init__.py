"""The hash-chained audit log (docs/audit.md).

chain    format 2: one chain per project and one server chain, entries in RFC 8785 JSON
legacy   format 1: the single server-wide chain of earlier releases, frozen on upgrade
"""
