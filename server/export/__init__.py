"""Exports: JSON lines, CSV and GeoJSON (formats), and the encrypted, signed archive.

formats     streaming generators over store rows (reused by the review API)
recipients  age recipients checked before any work (no mixing of PQ and classic)
spool       members spooled to disk, then a tar streamed through age
members     each archive member written from one snapshot of the store
manifest    manifest.json, SHA256SUMS and the signed trusted comment
archive     prepare_archive / export_to_file: snapshot, sign, audit, stream
verify      verify_archive: decrypt, hashes, signature, audit chain, device signatures
"""
