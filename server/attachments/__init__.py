"""Attachments: files (photos, scans, signatures) that records name by SHA-256.

``files`` lays them out in the data directory, ``upload`` receives sealed, resumable
uploads from devices and answers with signed receipts, ``refs`` derives which records
reference which files from the ops, ``access`` decides who may read a file, ``exif`` and
``thumbs`` read photo metadata and make thumbnails, ``controller`` is their HTTP face.
"""
