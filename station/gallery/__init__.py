"""The SQLite gallery: schema, migrations, records and audit; the only package that writes SQL.

Empty until the gallery issue adds it; importable without Qt (a test checks that).
"""
